//! Validated identifiers: INS, RPPS, ADELI, IdNat_PS, FINESS, OID; their HL7 v2 renderings.
