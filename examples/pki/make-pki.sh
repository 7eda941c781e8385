#!/usr/bin/env bash
# Regenerates the TEST-ONLY PKI of examples/pki/ with the openssl CLI (OpenSSL 3.x).
#
#   bash examples/pki/make-pki.sh            # writes into examples/pki/
#
# Every run makes NEW keys: all files change, and tests/crypto.rs reads some of the
# values written here (fingerprints.txt, serials, signature vectors), so commit the whole
# folder at once. The library's tests never run this script: they read the checked-in files.
#
# THESE KEYS ARE PUBLIC. Never trust them outside tests.
set -euo pipefail
cd "$(dirname "$0")"
out=$PWD
PASSWORD=$(head -n1 PASSWORD 2>/dev/null || echo dmp-test)
printf '%s\n' "$PASSWORD" > PASSWORD

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OPENSSL_CONF=/dev/null   # no system defaults leak into the result

# One openssl-ca configuration for every issuance; extensions and DN handling are explicit.
# shellcheck source=pki-lib.sh
. "$out/pki-lib.sh"
pki_init

key root;        issue root   "/C=FR/O=$CA_O/OU=IGC-SANTE TEST/CN=TEST AC RACINE IGC-SANTE" \
                   5E1E0001 20190101000000Z 20491231235959Z v3_root self
key org-ca;      issue org-ca "/C=FR/O=$CA_O/OU=IGC-SANTE TEST/CN=TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS" \
                   5E1E0002 20190101000000Z 20491231235959Z v3_ca root
key person-ca;   issue person-ca "/C=FR/O=$CA_O/OU=IGC-SANTE TEST/CN=TEST AC IGC-SANTE ELEMENTAIRE PERSONNES" \
                   5E1E0003 20190101000000Z 20491231235959Z v3_ca root

# Leaves. The ORG_SIGN serial is 16 bytes with the high bit set (DER adds a 0x00), like
# IGC-Santé serials, to exercise the decimal rendering.
key org-sign;    issue org-sign "$ORG_DN/CN=EHPAD Les Tilleuls - cachet" \
                   F01C73FA2A67BB14906541C6490A33F7 20250101000000Z 20450101000000Z v3_org_sign org-ca
key org-auth-cli; issue org-auth-cli "$ORG_DN/CN=EHPAD Les Tilleuls - authentification" \
                   3A11C0DE00000000000000000000AC11 20250101000000Z 20450101000000Z v3_org_auth_cli org-ca
# The CPS-like subject has one multi-valued RDN CN+SN+GN, as the IGC-Santé PERSONNES test
# certificate of the official XAdES sample (DER sorts it GN, SN, CN).
key cps-sign;    issue cps-sign "/C=FR/title=Médecin/CN=899900100019+SN=MARTIN+GN=Claire" \
                   0C95000000000000000000000000001F 20250101000000Z 20450101000000Z v3_cps_sign person-ca
key expired-org-sign; issue expired-org-sign "$ORG_DN/CN=EHPAD Les Tilleuls - cachet" \
                   0E00000000000000000000000000002D 20200101000000Z 20211231235959Z v3_org_sign org-ca
key ec-org-sign ec; issue ec-org-sign "$ORG_DN/CN=EHPAD Les Tilleuls - cachet ECDSA" \
                   EC00000000000000000000000000005A 20250101000000Z 20450101000000Z v3_org_sign org-ca

# A self-signed RSA 1024 seal certificate, which the library must refuse (keys < 2048 bits).
key weak-rsa1024 rsa1024; issue weak-rsa1024 "$ORG_DN/CN=TEST RSA 1024 - REFUSED" \
                   1024 20250101000000Z 20450101000000Z v3_org_sign self

p12 org-sign org-ca root
p12 org-auth-cli org-ca root
p12 cps-sign person-ca root
p12 expired-org-sign org-ca root
# Legacy, as the IGC-Santé issues them: pbeWithSHAAnd3-KeyTripleDES-CBC for the key,
# pbeWithSHAAnd40BitRC2-CBC for the certificates, MAC HMAC-SHA1.
P12OPTS="-legacy -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-RC2-40 -macalg sha1" P12NAME=org-sign-legacy \
  p12 org-sign org-ca root
# Certificates only, no private key.
openssl pkcs12 -export -nokeys -in org-sign.pem -certfile org-ca.pem -passout "pass:$PASSWORD" \
  -out "$out/certs-only.p12"

# PEM key + chain for SigningIdentity::from_pem (PKCS#8, unencrypted).
openssl pkcs8 -topk8 -nocrypt -in "$work/org-sign.key" -out org-sign-key.pem
cat org-sign.pem org-ca.pem root.pem > org-sign-chain.pem
openssl pkcs8 -topk8 -nocrypt -in "$work/org-auth-cli.key" -out org-auth-cli-key.pem
openssl pkcs8 -topk8 -nocrypt -in "$work/ec-org-sign.key" -out ec-org-sign-key.pem
openssl pkcs8 -topk8 -nocrypt -in "$work/weak-rsa1024.key" -out weak-rsa1024-key.pem
cat ec-org-sign.pem org-ca.pem root.pem > ec-org-sign-chain.pem
# The legacy PKCS#1 form ("BEGIN RSA PRIVATE KEY") of the same ORG_SIGN key.
openssl pkey -in "$work/org-sign.key" -traditional -out org-sign-key-pkcs1.pem

# Reference values computed by openssl, read by tests/crypto.rs.
{
  for c in root org-ca person-ca org-sign org-auth-cli cps-sign expired-org-sign ec-org-sign; do
    printf '%s sha1 %s\n' "$c" "$(openssl x509 -in $c.pem -noout -fingerprint -sha1 | cut -d= -f2 | tr -d : | tr A-F a-f)"
    printf '%s sha256 %s\n' "$c" "$(openssl x509 -in $c.pem -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)"
    printf '%s serial %s\n' "$c" "$(openssl x509 -in $c.pem -noout -serial | cut -d= -f2)"
  done
} > fingerprints.txt

# Signature vectors: PKCS#1 v1.5 signatures are deterministic, so ours must equal openssl's.
printf 'DMP test vector: signed by the ORG_SIGN test key.\n' > signed-data.txt
openssl dgst -sha1 -sign "$work/org-sign.key" -out org-sign-sha1.sig signed-data.txt
openssl dgst -sha256 -sign "$work/org-sign.key" -out org-sign-sha256.sig signed-data.txt

echo "test PKI written to $out"
