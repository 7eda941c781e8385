#!/usr/bin/env bash
# Regenerates the TEST-ONLY TLS material of the local DMP sandbox (examples/pki/sandbox-*,
# cps-auth*, expired-org-auth-cli*, rogue-org-auth-cli*), independently of make-pki.sh (whose
# CA keys are not kept): a second test root for the sandbox's server certificate and for the
# personal (CPS-like) authentication certificates.
#
#   bash examples/pki/make-sandbox-pki.sh
#
# Every run makes NEW keys for these files only; commit them together. THESE KEYS ARE PUBLIC.
set -euo pipefail
cd "$(dirname "$0")"
out=$PWD
PASSWORD=$(head -n1 PASSWORD)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OPENSSL_CONF=/dev/null

# shellcheck source=pki-lib.sh
. "$out/pki-lib.sh"
pki_init
cat >> "$work/ca.cnf" <<CNF
# The sandbox's HTTPS server: RSA (the DMP's suites are ECDHE-RSA), localhost and loopback.
[ v3_server ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
CNF


key sandbox-root; issue sandbox-root "/C=FR/O=$CA_O/OU=DMP SANDBOX TEST/CN=TEST AC RACINE DMP SANDBOX" \
  5A0D0001 20250101000000Z 20491231235959Z v3_root self
key sandbox-ca;   issue sandbox-ca "/C=FR/O=$CA_O/OU=DMP SANDBOX TEST/CN=TEST AC DMP SANDBOX SERVEURS ET CARTES" \
  5A0D0002 20250101000000Z 20491231235959Z v3_ca sandbox-root
key sandbox-server; issue sandbox-server "/C=FR/O=$CA_O/OU=DMP SANDBOX TEST/CN=localhost" \
  5A0D0003 20250101000000Z 20450101000000Z v3_server sandbox-ca
# The médecin's card authentication certificate (same subject shape as cps-sign).
key cps-auth; issue cps-auth "/C=FR/title=Médecin/CN=899900100019+SN=MARTIN+GN=Claire" \
  5A0D0004 20250101000000Z 20450101000000Z v3_cps_auth sandbox-ca
# An ORG_AUTH_CLI that expired: the sandbox refuses the handshake.
key expired-org-auth-cli; issue expired-org-auth-cli "$ORG_DN/CN=EHPAD Les Tilleuls - authentification" \
  5A0D0005 20200101000000Z 20211231235959Z v3_org_auth_cli sandbox-ca
# A self-signed client certificate nobody trusts.
key rogue-org-auth-cli; issue rogue-org-auth-cli "$ORG_DN/CN=EHPAD Les Tilleuls - authentification" \
  5A0D0006 20250101000000Z 20450101000000Z v3_org_auth_cli self

p12 cps-auth sandbox-ca sandbox-root
p12 expired-org-auth-cli sandbox-ca sandbox-root
p12 rogue-org-auth-cli
# The server's key and chain as PEM (what `dmp sandbox serve` loads by default).
openssl pkcs8 -topk8 -nocrypt -in "$work/sandbox-server.key" -out sandbox-server-key.pem
cat sandbox-server.pem sandbox-ca.pem > sandbox-server-chain.pem
echo "sandbox TLS material written to $out"
