#!/usr/bin/env python3
"""Writes ehpad.json: a year of an EHPAD's DMP journal, as `dmp-journal` exports it (Facts).

Fictitious and reproducible (fixed seed): 30 residents under pseudonyms (a keyed hash of the
INS, here a SHA-256 of a label), their stays and events since 2023, and what the EHPAD
deposited in the DMP since it began on 1 September 2025 and consulted in 2026: the DLU at
admission, after changes and returns from hospital, and quarterly, each update a replacement
(RPLC) of the previous version; the projet personnalisé after each annual review; a few
refusals, one document still queued and one with an unknown outcome. Not every obligation
is met: the plan finds what is missing.

    python3 examples/data/facts/generate_ehpad.py > examples/data/facts/ehpad.json
"""
import datetime as dt
import hashlib
import json
import random
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
R = random.Random(12)
START = dt.datetime(2025, 9, 1, tzinfo=PARIS)  # the EHPAD starts feeding the DMP
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=PARIS)


def at(d):
    return d.astimezone(PARIS).isoformat()


def day(y, m, d, h=None):
    h = R.randint(8, 17) if h is None else h
    return dt.datetime(y, m, d, h, R.choice([0, 10, 20, 30, 40, 50]), tzinfo=PARIS)


def plus(t, days_lo, days_hi):
    t = t + dt.timedelta(days=R.randint(days_lo, days_hi))
    return t.replace(hour=R.randint(8, 17), minute=R.choice([5, 15, 25, 35, 45, 55]))


usagers, events, deposits, consultations = [], [], [], []
last_version = {}
seq = [0]


def deposit(key, kind, role, t, status="accepted", code=None, text=None):
    if t > NOW or t < START:
        return
    seq[0] += 1
    uid = f"1.2.250.1.999.7.1.{seq[0]}"
    d = {
        "usager": key,
        "unique_id": uid,
        "kind": kind,
        "author_role": role,
        "size": R.randint(18_000, 240_000),
        "queued_at": at(t),
        "status": status,
        "attempts": 1,
    }
    prev = last_version.get((key, kind))
    if prev and kind in ("dlu", "projet_personnalise", "synthese_medicale") and status != "queued":
        d["replaces"] = prev
    if status in ("accepted", "refused"):
        d["settled_at"] = at(t + dt.timedelta(minutes=R.randint(1, 4)))
    if status == "refused":
        d["code"], d["text"] = code, text
    if status == "unknown":
        d["attempts"] = 2
    if status == "accepted":
        last_version[(key, kind)] = uid
    deposits.append(d)


MEDCO, IDEC, IDE, REF, PSY = (
    "Médecin coordonnateur",
    "Infirmier coordinateur (IDEC)",
    "Infirmier",
    "Référent projet personnalisé",
    "Psychologue",
)

for i in range(1, 31):
    key = hashlib.sha256(f"ehpad-demo-resident-{i}".encode()).hexdigest()
    usagers.append({"key": key, "label": f"R-{i:03d}", "setting": "EHPAD"})
    if i <= 22:
        admitted = day(R.choice([2023, 2024, 2025]), R.randint(1, 12), R.randint(1, 28))
        if admitted > START:
            admitted = admitted.replace(year=2024)
    else:
        admitted = day(2026, R.randint(1, 10), R.randint(1, 28))
    ev = [("admission", admitted)]
    # Annual reviews on the anniversary of the admission.
    y = admitted.year + 1
    while True:
        try:
            r = admitted.replace(year=y) + dt.timedelta(days=R.randint(-10, 10))
        except ValueError:
            r = admitted.replace(year=y, day=28)
        if r > NOW:
            break
        ev.append(("annual_review", r))
        y += 1
    # 2026: changes of condition and hospital stays.
    for _ in range(R.choice([0, 0, 1, 1, 2])):
        t = day(2026, R.randint(1, 11), R.randint(1, 28))
        if t > admitted:
            ev.append(("change_of_condition", t))
    for _ in range(R.choice([0, 0, 0, 1, 1, 2])):
        t = day(2026, R.randint(1, 11), R.randint(1, 20))
        if t > admitted:
            ev.append(("hospital_transfer", t))
            back = plus(t, 3, 15)
            if i != 7:  # R-007 is still at the hospital
                ev.append(("hospital_return", back))
    discharged = None
    if i in (3, 11, 17, 26, 29):
        discharged = day(2026, R.randint(3, 11), R.randint(1, 28))
        if discharged <= admitted:
            discharged = plus(admitted, 40, 60)
        ev = [e for e in ev if e[1] < discharged]
        ev.append(("discharge", discharged))
    ev = [e for e in ev if e[1] <= NOW]
    ev.sort(key=lambda e: e[1])
    for kind, t in ev:
        events.append({"usager": key, "kind": kind, "at": at(t)})

    # What the EHPAD deposited.
    if admitted < START:
        # Catch-up when it started: a first DLU for most residents.
        if R.random() < 0.85:
            deposit(key, "dlu", MEDCO, plus(START, 0, 45))
    last_dlu = None
    for kind, t in ev:
        if kind == "admission":
            deposit(key, "dlu", MEDCO, plus(t, 4, 20))
            if R.random() < 0.8:
                deposit(key, "synthese_medicale", MEDCO, plus(t, 10, 35))
            if R.random() < 0.7:
                deposit(key, "grille_evaluation", IDEC, plus(t, 7, 30))
            if R.random() < 0.8:
                deposit(key, "projet_personnalise", REF, plus(t, 60, 170))
        elif kind == "annual_review":
            if R.random() < 0.75:
                deposit(key, "projet_personnalise", REF, plus(t, 5, 40))
            if R.random() < 0.6:
                deposit(key, "grille_evaluation", IDEC, plus(t, 3, 25))
        elif kind == "change_of_condition":
            if R.random() < 0.7:
                deposit(key, "dlu", MEDCO, plus(t, 2, 10))
            if R.random() < 0.4:
                deposit(key, "synthese_medicale", MEDCO, plus(t, 5, 25))
        elif kind == "hospital_transfer":
            if R.random() < 0.7:
                deposit(key, "lettre_liaison_sortie", IDE, t + dt.timedelta(hours=2))
        elif kind == "hospital_return":
            if R.random() < 0.6:
                deposit(key, "dlu", IDEC, plus(t, 1, 9))
            if R.random() < 0.5:
                deposit(key, "cr_consultation", MEDCO, plus(t, 1, 5))
        elif kind == "discharge" and i in (11, 26):  # transfers to another structure
            deposit(key, "lettre_liaison_sortie", MEDCO, t + dt.timedelta(hours=3))
    # Quarterly DLU reviews, not always done.
    q = START + dt.timedelta(days=95)
    while q < NOW:
        if q > admitted and (discharged is None or q < discharged) and R.random() < 0.55:
            deposit(key, "dlu", IDEC, plus(q, 0, 20))
        q += dt.timedelta(days=91)
    # Consultations by the médecin coordonnateur (search then retrieve).
    for _ in range(R.choice([0, 1, 1, 2])):
        t = day(2026, R.randint(1, 11), R.randint(1, 28))
        if t > admitted and (discharged is None or t < discharged):
            for tx in ("TD3.1", "TD3.2"):
                consultations.append({
                    "usager": key, "at": at(t), "transaction": tx, "access_mode": "normal",
                    "role": MEDCO, "consent": "care_team", "outcome": "accepted",
                })
                t += dt.timedelta(minutes=1)

# The refusals the DMP answered, the document still queued and the one whose outcome is
# unknown.
k = [u["key"] for u in usagers]
deposit(k[4], "dlu", MEDCO, day(2026, 2, 9), "refused", "XDSUnknownPatientId",
        "Le DMP du patient n'existe pas ou est fermé")
deposit(k[4], "synthese_medicale", MEDCO, day(2026, 2, 9), "refused", "XDSUnknownPatientId",
        "Le DMP du patient n'existe pas ou est fermé")
deposit(k[12], "projet_personnalise", REF, day(2026, 5, 18), "refused",
        "XDSRegistryMetadataError", "Métadonnée typeCode incohérente avec le document")
deposit(k[19], "grille_evaluation", IDEC, day(2026, 9, 2), "refused", "DMPAccessDenied",
        "Accès refusé : l'usager s'est opposé à l'alimentation par cette structure")
deposit(k[8], "dlu", IDEC, day(2026, 11, 30, 16), "queued")
deposit(k[14], "projet_personnalise", REF, day(2026, 11, 28, 11), "unknown")
# Emergencies and refused consultations.
for key, mode, outcome, consent, role in [
    (k[7], "bris_de_glace", "accepted", "emergency", MEDCO),
    (k[20], "bris_de_glace", "accepted", "emergency", MEDCO),
    (k[2], "centre_15", "accepted", "emergency", "Médecin régulateur"),
    (k[9], "normal", "blocked", "care_team", PSY),
    (k[15], "normal", "blocked", "care_team", IDE),
    (k[21], "normal", "refused", "care_team", MEDCO),
]:
    consultations.append({
        "usager": key, "at": at(day(2026, R.randint(1, 11), R.randint(1, 28))),
        "transaction": "TD3.2" if outcome == "accepted" else "TD3.1",
        "access_mode": mode, "role": role, "consent": consent, "outcome": outcome,
    })

deposits.sort(key=lambda d: (d["queued_at"], d["unique_id"]))
consultations.sort(key=lambda c: (c["at"], c["usager"], c["transaction"]))
events.sort(key=lambda e: (e["at"], e["usager"]))
print(json.dumps({"usagers": usagers, "deposits": deposits, "consultations": consultations,
                  "events": events}, ensure_ascii=False, indent=1))
