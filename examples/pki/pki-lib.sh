# Shared by make-pki.sh and make-sandbox-pki.sh (sourced, not run): the `openssl ca`
# configuration common to both test hierarchies and the helpers that issue certificates.
# The caller sets $work (a temporary folder) and $out (examples/pki), then appends its own
# extension sections to "$work/ca.cnf" (pki_init writes the common part).

# Every CA of both hierarchies says it is a test CA; the sample EHPAD's DN (OU: its StructIdNat).
CA_O="DMP-RS TEST PKI - NE PAS UTILISER EN PRODUCTION"
ORG_DN="/C=FR/ST=Rhône (69)/L=Lyon/O=EHPAD Les Tilleuls/OU=1690800123"
export CA_O ORG_DN

pki_init() {
  cat > "$work/ca.cnf" <<CNF
[ ca ]
default_ca = test_ca

[ test_ca ]
dir            = $work
database       = $work/index.txt
serial         = $work/serial
new_certs_dir  = $work/newcerts
default_md     = sha256
policy         = policy_anything
unique_subject = no
copy_extensions = none
email_in_dn    = no
preserve       = yes
utf8           = yes
string_mask    = utf8only

[ policy_anything ]
commonName             = optional

[ req ]
distinguished_name = req_dn
string_mask        = utf8only
utf8               = yes
prompt             = no
[ req_dn ]
CN = unused

[ v3_root ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

[ v3_ca ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

# ORG_AUTH_CLI: the structure's TLS client authentication certificate (as the IGC-Santé test
# certificate that signs the official VIHF INDIRECTE_RENFORCEE sample).
[ v3_org_auth_cli ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = clientAuth
certificatePolicies    = 1.2.250.1.71.2.6.999.2
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

# ORG_SIGN: the structure's "cachet" (seal) certificate, used to sign the VIHF and the XAdES.
# Same key usages as the IGC-Santé test ORG_SIGN that signs the official VIHF INDIRECTE sample.
[ v3_org_sign ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = emailProtection
certificatePolicies    = 1.2.250.1.71.2.6.999.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

# CPS-like personal signature certificate (as the card's signature key: nonRepudiation only).
[ v3_cps_sign ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, nonRepudiation
extendedKeyUsage       = emailProtection
certificatePolicies    = 1.2.250.1.71.2.6.999.3
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

# The card's authentication key (TLS client authentication in direct mode).
[ v3_cps_auth ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
certificatePolicies    = 1.2.250.1.71.2.6.999.4
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

CNF
  mkdir -p "$work/newcerts"
  touch "$work/index.txt"
}

# key NAME [rsa|ec]
key() {
  if [ "${2:-rsa}" = rsa1024 ]; then
    openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$work/$1.key"
  elif [ "${2:-rsa}" = ec ]; then
    openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve -out "$work/$1.key"
  else
    openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/$1.key"
  fi
}

# issue NAME SUBJECT SERIAL_HEX START END EXTENSIONS ISSUER(NAME|self)
issue() {
  local name=$1 subj=$2 serial=$3 start=$4 end=$5 ext=$6 issuer=$7
  openssl req -config "$work/ca.cnf" -new -utf8 -key "$work/$name.key" -subj "$subj" -out "$work/$name.csr"
  printf '%s\n' "$serial" > "$work/serial"
  if [ "$issuer" = self ]; then
    openssl ca -config "$work/ca.cnf" -batch -notext -preserveDN -utf8 -selfsign \
      -keyfile "$work/$name.key" -startdate "$start" -enddate "$end" -extensions "$ext" \
      -in "$work/$name.csr" -out "$work/$name.crt" 2>/dev/null
  else
    openssl ca -config "$work/ca.cnf" -batch -notext -preserveDN -utf8 \
      -cert "$out/$issuer.pem" -keyfile "$work/$issuer.key" -startdate "$start" -enddate "$end" \
      -extensions "$ext" -in "$work/$name.csr" -out "$work/$name.crt" 2>/dev/null
  fi
  openssl x509 -in "$work/$name.crt" -out "$out/$name.pem"
}

# PKCS#12 files. Modern: OpenSSL 3 defaults (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC, MAC SHA-256).
p12() { # NAME CA-CHAIN-NAMES... ; extra openssl options in $P12OPTS, output name in $P12NAME
  local name=$1; shift
  local chain=()
  if [ $# -gt 0 ]; then cat "${@/%/.pem}" > "$work/chain.pem"; chain=(-certfile "$work/chain.pem"); fi
  # shellcheck disable=SC2086
  openssl pkcs12 -export ${P12OPTS:-} -name "$name" -inkey "$work/$name.key" -in "$name.pem" \
    "${chain[@]}" -passout "pass:$PASSWORD" -out "$out/${P12NAME:-$name}.p12"
}
