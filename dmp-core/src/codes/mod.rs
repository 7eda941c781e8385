//! ANS nomenclatures (JDV/TRE/ASS): generated tables and lookups.
