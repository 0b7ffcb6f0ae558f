#!/usr/bin/env python3
"""Write a valid impact-ledger export (NDJSON) of N events, for `impact-ledger import`.

Python standard library only, written from docs/CONTRACT.md sections 3.2 and 3.3, so it is also an
independent check of the hash rule: `impact-ledger import` and `verify --export` must accept it.

The log looks like a busy unit's: a strategy first, then mostly placements, with enterprises
(valid CVR numbers, modulus 11), grants, agreements, trials, trends, a few closures, endings and
retractions, and a revised strategy half way. Every event obeys the catalogue's rules against the
events before it (closures and endings name a standing entity and are not dated before it, a
placement or grant names an open enterprise and is not dated before its registration, no two
enterprises hold one CVR number, a retraction names a standing event that is not itself a
retraction), so the resulting data dir also takes new appends. Import checks the hash chain only,
so a rule this file breaks shows only when its data is read against the rules (issue 11's rules
at the door refuse a CVR held by an open enterprise and a placement outside its enterprise's life).

The envelope follows CONTRACT §3.3 exactly: position 1, 2, 3, ...; version 1, 2, ... per stream;
`recorded_at` never decreasing, written `YYYY-MM-DDTHH:MM:SS.ffffffZ`; optional members written
as null; prev_hash the previous line's hash (64 zeros first); hash = SHA-256 of
json.dumps(event without hash, sort_keys=True, separators=(",", ":"), ensure_ascii=False).

Usage: gen_export.py --events N [--seed S] [--out FILE]   (stdout without --out)
The same N and seed give the same bytes.
"""

import argparse
import datetime
import hashlib
import json
import random
import sys

GENESIS = "0" * 64
EPOCH = datetime.datetime(1970, 1, 1)
# The log's first event is recorded here; the last one about four years later.
START = datetime.datetime(2022, 1, 3, 7, 0, 0)
SPAN_SECONDS = 4 * 365 * 86400

EMPLOYMENT_TYPES = ["ordinary"] * 6 + ["flexjob"] * 2 + ["wage_subsidy", "sheltered", "education", "other"]
FUNDERS = [
    "Socialstyrelsen",
    "Puljen til socialøkonomi",
    "Velliv Foreningen",
    "A.P. Møller Fonden",
    "Nordea-fonden",
    "Region Sjælland",
    "Den Sociale Investeringsfond",
    "VELUX FONDEN",
]
COUNTERPARTIES = [
    "Frivilligcenter Slagelse",
    "Jobcenter Slagelse",
    "Røde Kors Slagelse",
    "Korsør Erhvervsforening",
    "Skælskør Idrætsforening",
    "Professionshøjskolen Absalon",
]
WORDS = ["Café", "Værksted", "Genbrug", "Have", "Køkken", "Cykel", "Grøn", "Social", "Kronen", "Fælles"]
ACTORS = ["anna", "bo", "karin", "import"]
NOTES = [
    "Registreret efter møde i styregruppen.",
    "Aftalt med jobkonsulenten; opfølgning om tre måneder.",
    "Beløbet er udbetalt i to rater.",
    "Indberettet til årsrapporten.",
]

# Weights of what happens after the first strategy; closures, endings and retractions are
# turned into placements when nothing can be closed, ended or retracted yet.
MIX = [
    ("PersonPlacedInEmployment", 560),
    ("EnterpriseRegistered", 80),
    ("EnterpriseClosed", 20),
    ("GrantAwarded", 80),
    ("AgreementSigned", 60),
    ("AgreementEnded", 15),
    ("TrialStarted", 60),
    ("TrendNoted", 115),
    ("EventRetracted", 10),
]


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class Generator:
    def __init__(self, events, seed):
        self.rng = random.Random(seed)
        self.total = events
        self.position = 0
        self.prev_hash = GENESIS
        self.recorded_micros = int((START - EPOCH).total_seconds()) * 1_000_000
        self.gap_micros_max = max(1, 2 * SPAN_SECONDS * 1_000_000 // max(events, 1))
        self.versions = {}
        # Entities that can still be referred to, closed or ended: (id, stream, occurred_on).
        self.open_enterprises = []
        self.open_agreements = []
        # Every CVR number handed out: a new enterprise never shares one (random draws collide:
        # about 170 times among the 56k enterprises with a CVR of a 1M-event log).
        self.cvrs = set()
        # Events that may be retracted: (event id, stream). Only placements, grants, trials and
        # trends are retracted, so every enterprise and agreement named later still stands.
        self.retractable = []
        self.persons = max(10, events // 3)
        names, weights = zip(*MIX)
        self.mix_names = names
        self.mix_cumulative = []
        running = 0
        for weight in weights:
            running += weight
            self.mix_cumulative.append(running)

    def uuid(self):
        bits = self.rng.getrandbits(128)
        # Version 4, RFC 4122 variant, lower-case hyphenated.
        bits = (bits & ~(0xF << 76)) | (0x4 << 76)
        bits = (bits & ~(0x3 << 62)) | (0x2 << 62)
        text = "%032x" % bits
        return "%s-%s-%s-%s-%s" % (text[:8], text[8:12], text[12:16], text[16:20], text[20:])

    def cvr(self):
        weights = (2, 7, 6, 5, 4, 3, 2)
        while True:
            digits = [self.rng.randint(1, 9)] + [self.rng.randint(0, 9) for _ in range(6)]
            check = (11 - sum(d * w for d, w in zip(digits, weights)) % 11) % 11
            number = "".join(map(str, digits)) + str(check)
            if check < 10 and number not in self.cvrs:
                self.cvrs.add(number)
                return number

    def sdgs(self):
        if self.rng.random() < 0.5:
            return None
        return sorted(self.rng.sample(range(1, 18), self.rng.randint(1, 3)))

    def name(self):
        return "%s %s %d" % (self.rng.choice(WORDS), self.rng.choice(WORDS), self.rng.randint(1, 999))

    def occurred_on(self, not_before=None):
        recorded = EPOCH + datetime.timedelta(microseconds=self.recorded_micros)
        day = recorded.date() - datetime.timedelta(days=self.rng.randint(0, 45))
        if not_before is not None and day < not_before:
            day = not_before
        return day

    def pick_type(self):
        if self.position == 0:
            return "StrategyAdopted"
        if self.position == self.total // 2:
            return "StrategyAdopted"
        point = self.rng.randrange(self.mix_cumulative[-1])
        for name, bound in zip(self.mix_names, self.mix_cumulative):
            if point < bound:
                break
        if name == "EnterpriseClosed" and not self.open_enterprises:
            return "PersonPlacedInEmployment"
        if name == "AgreementEnded" and not self.open_agreements:
            return "PersonPlacedInEmployment"
        if name == "EventRetracted" and not self.retractable:
            return "PersonPlacedInEmployment"
        return name

    def take_random(self, items):
        """Removes and returns a random item in constant time."""
        index = self.rng.randrange(len(items))
        items[index], items[-1] = items[-1], items[index]
        return items.pop()

    def at_enterprise(self, share):
        """(enterprise id or None, occurred_on) of a placement or grant: at an open enterprise
        in `share` of them, not dated before its registration."""
        if not self.open_enterprises or self.rng.random() >= share:
            return None, self.occurred_on()
        enterprise_id, _, registered_on = self.rng.choice(self.open_enterprises)
        return enterprise_id, self.occurred_on(not_before=registered_on)

    def payload(self, event_type, event_id):
        """(stream, occurred_on, data) of a new event of this type."""
        rng = self.rng
        if event_type == "StrategyAdopted":
            strategy_id = self.uuid()
            first = self.position == 0
            data = {
                "strategy_id": strategy_id,
                "name": "Den Socialøkonomiske Strategi 2.0" if first else "Strategi 2.0, revideret",
                "from_year": 2022,
                "to_year": 2025,
                "targets": [
                    {"metric": "people_employed", "per": "year", "value": 30 if first else 35},
                    {"metric": "enterprises_active", "per": "period", "value": 40},
                ],
            }
            return "strategy-" + strategy_id, self.occurred_on(), data
        if event_type == "EnterpriseRegistered":
            enterprise_id = self.uuid()
            occurred_on = self.occurred_on()
            data = {
                "enterprise_id": enterprise_id,
                "name": self.name(),
                "kind": "enterprise" if rng.random() < 0.6 else "initiative",
                "cvr": self.cvr() if rng.random() < 0.7 else None,
                "rsv": (rng.random() < 0.3) if rng.random() < 0.5 else None,
                "sdgs": self.sdgs(),
            }
            stream = "enterprise-" + enterprise_id
            entity = (enterprise_id, stream, occurred_on)
            self.open_enterprises.append(entity)
            return stream, occurred_on, data
        if event_type == "EnterpriseClosed":
            enterprise_id, stream, registered_on = self.take_random(self.open_enterprises)
            data = {"enterprise_id": enterprise_id, "reason": rng.choice([None, "ophørt", "fusioneret"])}
            return stream, self.occurred_on(not_before=registered_on), data
        if event_type == "PersonPlacedInEmployment":
            placement_id = self.uuid()
            enterprise_id, occurred_on = self.at_enterprise(0.4)
            data = {
                "placement_id": placement_id,
                "person_ref": "P-%07d" % rng.randrange(self.persons),
                "employment_type": rng.choice(EMPLOYMENT_TYPES),
                "enterprise_id": enterprise_id,
            }
            stream = "placement-" + placement_id
            self.retractable.append((event_id, stream))
            return stream, occurred_on, data
        if event_type == "GrantAwarded":
            grant_id = self.uuid()
            enterprise_id, occurred_on = self.at_enterprise(0.3)
            data = {
                "grant_id": grant_id,
                "funder": rng.choice(FUNDERS),
                "amount_ore": rng.randint(1, 5000) * 10_000,
                "purpose": rng.choice([None, "Opstart af værested", "Udvikling af forretningsplan"]),
                "enterprise_id": enterprise_id,
                "sdgs": self.sdgs(),
            }
            stream = "grant-" + grant_id
            self.retractable.append((event_id, stream))
            return stream, occurred_on, data
        if event_type == "AgreementSigned":
            agreement_id = self.uuid()
            occurred_on = self.occurred_on()
            valid_to = None
            if rng.random() < 0.4:
                valid_to = (occurred_on + datetime.timedelta(days=rng.randint(180, 1500))).isoformat()
            data = {
                "agreement_id": agreement_id,
                "counterparty": rng.choice(COUNTERPARTIES),
                "kind": rng.choice(["partnership", "civil_society", "volunteering"]),
                "valid_to": valid_to,
            }
            stream = "agreement-" + agreement_id
            self.open_agreements.append((agreement_id, stream, occurred_on))
            return stream, occurred_on, data
        if event_type == "AgreementEnded":
            agreement_id, stream, signed_on = self.take_random(self.open_agreements)
            data = {"agreement_id": agreement_id, "reason": rng.choice([None, "udløbet"])}
            return stream, self.occurred_on(not_before=signed_on), data
        if event_type == "TrialStarted":
            trial_id = self.uuid()
            partners = None
            if rng.random() < 0.5:
                partners = rng.sample(COUNTERPARTIES, rng.randint(1, 3))
            data = {
                "trial_id": trial_id,
                "title": "Prøvehandling: " + self.name(),
                "kind": rng.choice(["internal_trial", "trial_action"]),
                "partners": partners,
                "sdgs": self.sdgs(),
            }
            stream = "trial-" + trial_id
            self.retractable.append((event_id, stream))
            return stream, self.occurred_on(), data
        if event_type == "TrendNoted":
            trend_id = self.uuid()
            data = {
                "trend_id": trend_id,
                "title": "Tendens: " + self.name(),
                "kind": "trend" if rng.random() < 0.7 else "offer",
                "source": rng.choice([None, "KL", "Socialstyrelsen", "VIVE"]),
                "sdgs": self.sdgs(),
            }
            stream = "trend-" + trend_id
            self.retractable.append((event_id, stream))
            return stream, self.occurred_on(), data
        if event_type == "EventRetracted":
            target_id, stream = self.take_random(self.retractable)
            data = {"event_id": target_id, "reason": rng.choice(["indtastet to gange", "forkert år"])}
            return stream, self.occurred_on(), data
        raise ValueError(event_type)

    def next_line(self):
        rng = self.rng
        event_type = self.pick_type()
        event_id = self.uuid()
        stream, occurred_on, data = self.payload(event_type, event_id)
        self.position += 1
        self.recorded_micros += rng.randrange(self.gap_micros_max)
        version = self.versions.get(stream, 0) + 1
        self.versions[stream] = version
        recorded_at = EPOCH + datetime.timedelta(microseconds=self.recorded_micros)
        event = {
            "position": self.position,
            "id": event_id,
            "stream": stream,
            "version": version,
            "type": event_type,
            "schema": 1,
            "occurred_on": occurred_on.isoformat(),
            "recorded_at": recorded_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "actor": rng.choice(ACTORS),
            "correlation_id": None,
            "case_ref": "%02d-%06d" % (rng.randint(19, 25), rng.randrange(1_000_000)) if rng.random() < 0.3 else None,
            "note": rng.choice(NOTES) if rng.random() < 0.1 else None,
            "data": data,
            "prev_hash": self.prev_hash,
        }
        event["hash"] = hashlib.sha256(canonical(event)).hexdigest()
        self.prev_hash = event["hash"]
        return canonical(event) + b"\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, required=True, help="how many events to write")
    parser.add_argument("--seed", type=int, default=6, help="the random seed (same seed, same bytes)")
    parser.add_argument("--out", help="the file to write (default: stdout)")
    args = parser.parse_args()
    if args.events < 1:
        parser.error("--events must be at least 1")
    generator = Generator(args.events, args.seed)
    out = open(args.out, "wb") if args.out else sys.stdout.buffer
    with out:
        chunk = []
        for _ in range(args.events):
            chunk.append(generator.next_line())
            if len(chunk) == 4096:
                out.write(b"".join(chunk))
                chunk.clear()
        out.write(b"".join(chunk))


if __name__ == "__main__":
    main()
