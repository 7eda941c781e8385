//! Habilitation: the consultation matrix, functional rights by authentication mode, the staff report.
