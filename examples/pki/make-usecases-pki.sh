#!/usr/bin/env bash
# Regenerates the TEST-ONLY certificates of the use-case scenarios (examples/usecases/): a
# third, independent test root (`usecases-root.pem`, trusted by the sandbox as a client root)
# and, issued directly by it, the establishment certificates (ORG_AUTH_CLI + ORG_SIGN) of
# every structure the five stories meet besides the EHPAD, and the CPS-like card of the
# kinésithérapeute libéral.
#
#   bash examples/pki/make-usecases-pki.sh
#
# Every run makes NEW keys for these files only (uc-*.p12, usecases-root.pem); commit them
# together. THESE KEYS ARE PUBLIC.
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

key usecases-root; issue usecases-root "/C=FR/O=$CA_O/OU=CAS D'USAGE TEST/CN=TEST AC RACINE CAS D'USAGE ESSMS" \
  5C0E0001 20250101000000Z 20491231235959Z v3_root self

serial=16
# structure file-name, FINESS ET, name
while IFS='|' read -r file finess name; do
  dn="/C=FR/ST=Rhône (69)/L=Lyon/O=$name/OU=1$finess"
  key "uc-$file-sign"; issue "uc-$file-sign" "$dn/CN=$name - cachet" \
    "5C0E$(printf '%04X' $serial)" 20250101000000Z 20450101000000Z v3_org_sign usecases-root
  key "uc-$file-auth"; issue "uc-$file-auth" "$dn/CN=$name - authentification" \
    "5C0E$(printf '%04X' $((serial + 1)))" 20250101000000Z 20450101000000Z v3_org_auth_cli usecases-root
  p12 "uc-$file-sign" usecases-root
  p12 "uc-$file-auth" usecases-root
  rm -f "uc-$file-sign.pem" "uc-$file-auth.pem"
  serial=$((serial + 2))
done <<STRUCTURES
ch-lyon|690000880|CH de Lyon Test
labo|690800503|Laboratoire BioLyon Test
imagerie|690800602|Centre d'imagerie Lumière Test
ssiad|690800701|SSIAD du Val de Saône Test
saad|690800800|SAAD Aide et Vie Test
had|690800909|HAD Lyon Test
ime|690801006|IME Les Coquelicots Test
fam|690801105|FAM Les Hirondelles Test
STRUCTURES

# The kinésithérapeute libéral's card (same subject shape as cps-sign / cps-auth).
key uc-kine-roux-sign; issue uc-kine-roux-sign "/C=FR/title=Masseur-kinésithérapeute/CN=899900100068+SN=ROUX+GN=Paul" \
  5C0E0100 20250101000000Z 20450101000000Z v3_cps_sign usecases-root
key uc-kine-roux-auth; issue uc-kine-roux-auth "/C=FR/title=Masseur-kinésithérapeute/CN=899900100068+SN=ROUX+GN=Paul" \
  5C0E0101 20250101000000Z 20450101000000Z v3_cps_auth usecases-root
p12 uc-kine-roux-sign usecases-root
p12 uc-kine-roux-auth usecases-root
rm -f uc-kine-roux-sign.pem uc-kine-roux-auth.pem
echo "use-case certificates written to $out"
