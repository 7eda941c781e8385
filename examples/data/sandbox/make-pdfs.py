#!/usr/bin/env python3
"""Writes the N1 bodies of the sandbox's seeded hospital documents: small hand-written
PDF 1.4 files, one text page each (Helvetica, WinAnsiEncoding), same bytes on every run
(no date, no random id). The output is committed; run again after editing a text:

    python3 examples/data/sandbox/make-pdfs.py
"""

from pathlib import Path

HERE = Path(__file__).resolve().parent
HOSPITAL = "CH de Lyon Test - 1 place de l'Hôpital, 69003 Lyon - FINESS 690000880"

DOCUMENTS = {
    "lefebvre-cr-hospitalisation.pdf": [
        HOSPITAL,
        "Service de gériatrie aiguë - Dr Antoine ROUSSEL",
        "",
        "COMPTE RENDU D'HOSPITALISATION",
        "Patiente : Mme LEFEBVRE née DUPONT Marie, née le 17/03/1945",
        "INS 245036912304502 - résidente de l'EHPAD Les Tilleuls",
        "Séjour du 02/10/2026 au 09/10/2026",
        "",
        "Motif : chute dans sa chambre à l'EHPAD le 02/10/2026, douleur de hanche droite.",
        "Examen : pas de raccourcissement du membre, appui douloureux.",
        "Imagerie : fracture non déplacée des branches ilio- et ischio-pubiennes droites.",
        "Biologie : anémie modérée (Hb 11,2 g/dL), fonction rénale stable.",
        "Prise en charge : traitement fonctionnel, antalgiques, HBPM préventive,",
        "remise en charge progressive avec kinésithérapie dès J2.",
        "",
        "Conclusion : retour à l'EHPAD le 09/10/2026, marche avec déambulateur.",
        "Suivi : contrôle radiographique à 6 semaines, bilan de chute, vitamine D.",
    ],
    "lefebvre-ordonnance.pdf": [
        HOSPITAL,
        "Dr Antoine ROUSSEL - gériatrie - RPPS 99900100084",
        "",
        "ORDONNANCE DE SORTIE DU 09/10/2026",
        "Mme LEFEBVRE née DUPONT Marie, née le 17/03/1945, 58 kg",
        "",
        "1. Paracétamol 1 g : 1 comprimé 3 fois par jour si douleur, 15 jours.",
        "2. Enoxaparine 4000 UI/0,4 mL : 1 injection sous-cutanée par jour, 21 jours.",
        "3. Cholécalciférol 100 000 UI : 1 ampoule buvable tous les 3 mois.",
        "4. Kinésithérapie : rééducation à la marche, 15 séances.",
        "",
        "Contrôle plaquettes à J7 (HBPM).",
    ],
    "lefebvre-cr-biologie.pdf": [
        "Laboratoire de biologie médicale - " + HOSPITAL,
        "Biologiste : Dr Karim HADDAD",
        "",
        "COMPTE RENDU D'EXAMENS BIOLOGIQUES",
        "Mme LEFEBVRE née DUPONT Marie, née le 17/03/1945",
        "Prélèvement du 03/10/2026 à 07:30",
        "",
        "Hémoglobine ............ 11,2 g/dL   (12,0 - 16,0)",
        "Leucocytes ............. 8,4 G/L     (4,0 - 10,0)",
        "Plaquettes ............. 245 G/L     (150 - 400)",
        "Créatinine ............. 88 µmol/L   (45 - 90)",
        "DFG (CKD-EPI) .......... 54 mL/min/1,73 m²",
        "CRP .................... 12 mg/L     (< 5)",
        "25-OH vitamine D ....... 14 ng/mL    (30 - 60)",
        "",
        "Commentaire : carence en vitamine D, anémie modérée normocytaire.",
    ],
    "lefebvre-cr-imagerie.pdf": [
        "Service d'imagerie médicale - " + HOSPITAL,
        "Radiologue : Dr Hélène BLANC",
        "",
        "COMPTE RENDU D'IMAGERIE : RADIOGRAPHIE DU BASSIN",
        "Mme LEFEBVRE née DUPONT Marie, née le 17/03/1945",
        "Examen du 02/10/2026 - bassin de face, hanche droite face et profil",
        "",
        "Indication : chute, douleur de hanche droite, appui douloureux.",
        "Résultat : fracture non déplacée des branches ilio-pubienne et",
        "ischio-pubienne droites. Pas de fracture du col fémoral.",
        "Coxarthrose bilatérale modérée. Déminéralisation osseuse diffuse.",
        "",
        "Conclusion : fracture du cadre obturateur droit, non déplacée.",
    ],
    "dartagnan-cr-biologie.pdf": [
        "Laboratoire de biologie médicale - " + HOSPITAL,
        "Biologiste : Dr Karim HADDAD",
        "",
        "COMPTE RENDU D'EXAMENS BIOLOGIQUES",
        "M. D'ARTAGNAN Jean-Pierre, né en 02/1938 - suivi par le SSIAD",
        "Prélèvement à domicile du 16/11/2026 à 08:00",
        "",
        "Sodium ................. 136 mmol/L  (135 - 145)",
        "Potassium .............. 5,3 mmol/L  (3,5 - 5,0)",
        "Créatinine ............. 132 µmol/L  (60 - 110)",
        "DFG (CKD-EPI) .......... 43 mL/min/1,73 m²",
        "HbA1c .................. 7,4 %       (< 7,0)",
        "INR .................... 2,6         (cible 2,0 - 3,0)",
        "",
        "Commentaire : hyperkaliémie légère, à contrôler sous 8 jours.",
    ],
}


def pdf_string(text):
    """A PDF literal string in WinAnsiEncoding (cp1252), parentheses and backslash escaped."""
    raw = text.encode("cp1252")
    out = bytearray(b"(")
    for b in raw:
        if b in b"()\\":
            out += b"\\"
        out.append(b)
    return bytes(out + b")")


def page_stream(lines):
    ops = [b"BT", b"/F1 10 Tf", b"14 TL", b"56 780 Td"]
    for i, line in enumerate(lines):
        size = b"/F1 13 Tf" if line.isupper() and line else b"/F1 10 Tf"
        ops.append(size)
        ops.append(pdf_string(line) + (b" Tj" if i == 0 else b" '"))
    ops.append(b"ET")
    return b"\n".join(ops) + b"\n"


def pdf(title, lines):
    stream = page_stream(lines)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream",
        b"<< /Title " + pdf_string(title) + b" /Producer (dmp make-pdfs.py) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += (
        b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, len(objects), xref)
    )
    return bytes(out)


def main():
    for name, lines in DOCUMENTS.items():
        title = next(l for l in lines if l.isupper())
        (HERE / name).write_bytes(pdf(title.capitalize(), lines))
        print(name)


if __name__ == "__main__":
    main()
