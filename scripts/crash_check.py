#!/usr/bin/env python3
"""Helper of scripts/crash-loop.sh: makes each round's entries and checks two stores after it.

  crash_check.py gen-import ROUND COUNT SEED FILE.jsonl PENDING
      entries for `import jsonl FILE.jsonl`; PENDING gets one ledger line per entry, in order
  crash_check.py gen-adds ORIGIN ROUND COUNT SEED FILE.txt PENDING
      the same kind of entries as console `add` lines, for a piped `daftar --json`
  crash_check.py commit-all PENDING LEDGER_DIR ROUND
      records in the ledger every pending entry (after an import that succeeded); prints how many
  crash_check.py commit-piped PENDING OUTPUT LEDGER_DIR ROUND
      records the pending entries whose `add` printed {"id": ...} in OUTPUT (the piped session's
      standard output: one JSON document per command, in order); prints how many
  crash_check.py verify ROUND LEDGER_DIR WORKDIR OFFICE_DB CENTRAL_DB [full]
      checks the files crash-loop.sh wrote in WORKDIR for office and central (check-, status-,
      count-, find-*.json: the integrity check, status, `count` and `find` of the round's
      entries) against the ledger and each other, and reads both stores (read-only): a digest
      of every record's merged state, the change log per origin, the knowledge table (per chain:
      origin and scope) with its chained hashes. With `full`, also export-*.jsonl (every entry) against the whole ledger and
      each other. Each *.json file must hold exactly one JSON object, the command's standard
      output: a file that is missing, unreadable, empty, truncated or an error is a problem
      (naming the file). Prints the problems and exits 1 if any.

The ledger (LEDGER_DIR/round-N.jsonl, with a tally of its counts in LEDGER_DIR/tally.json) holds
every entry the script recorded with a command that succeeded: {"tag", "origin", "round",
"kind", "fields"[, "id"]}. Every entry carries its tag in a field of that name, so that a lost,
duplicated or altered entry is named.

Standard library only.
"""
import collections
import hashlib
import json
import os
import random
import sqlite3
import sys

OFFICE, CENTRAL = "fia-lahore", "central"
KINDS = ["person", "vehicle", "incident", "seizure", "case"]
CITIES = ["Lahore", "Karachi", "Quetta", "Peshawar", "Multan", "لاہور", "کراچی"]
NAMES = ["Ayesha Khan", "محمد علی", "Rashid Mehmood", "فاطمہ بی بی", "Bilal Ahmed", "Sana Iqbal"]
NOTES = ["seized at checkpost 4, no papers", "referred to FIA, Lahore", "وقت: رات، گاڑی سفید",
         'said "not mine", then ran', "plain"]


def entry(origin, rnd, i, rng):
    """One entry: its kind and fields, values typed as in the JSON output, decimals canonical."""
    kind = rng.choice(KINDS)
    fields = {"tag": f"{origin}.{rnd}.{i}", "round": rnd, "seq_in_round": i}
    if kind in ("person", "case") or rng.random() < 0.3:
        fields["name"] = rng.choice(NAMES) + f" {rng.randrange(1000)}"
    if rng.random() < 0.7:
        fields["city"] = rng.choice(CITIES)
    if rng.random() < 0.5:
        fields["age"] = rng.randrange(-5, 100)
    if rng.random() < 0.4:
        units, cents = rng.randrange(0, 1000000), rng.randrange(1, 100)
        if cents % 10 == 0:
            cents //= 10
        fields["amount"] = {"decimal": f"{units}.{cents}"}
    if rng.random() < 0.3:
        fields["open"] = rng.random() < 0.5
    if rng.random() < 0.3:
        fields["note"] = rng.choice(NOTES)
    if kind == "vehicle":
        fields["plate"] = f"LEA-{rng.randrange(10000)}"
    return kind, fields


def ledger_line(origin, rnd, kind, fields, id_=None):
    d = {"tag": fields["tag"], "origin": origin, "round": rnd, "kind": kind, "fields": fields}
    if id_ is not None:
        d["id"] = id_
    return json.dumps(d, ensure_ascii=False, separators=(",", ":"))


def console_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dict):
        return v["decimal"]
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def gen_import(rnd, count, seed, out, pending):
    rng = random.Random(f"{seed}/{OFFICE}/{rnd}")
    with open(out, "w", encoding="utf-8") as f, open(pending, "w", encoding="utf-8") as p:
        for i in range(1, count + 1):
            kind, fields = entry(OFFICE, rnd, i, rng)
            f.write(json.dumps({"kind": kind, "fields": fields}, ensure_ascii=False) + "\n")
            p.write(ledger_line(OFFICE, rnd, kind, fields) + "\n")


def gen_adds(origin, rnd, count, seed, out, pending):
    rng = random.Random(f"{seed}/{origin}/{rnd}")
    with open(out, "w", encoding="utf-8") as f, open(pending, "w", encoding="utf-8") as p:
        for i in range(1, count + 1):
            kind, fields = entry(origin, rnd, i, rng)
            f.write(f"add {kind} " + " ".join(f"{k}={console_value(v)}" for k, v in fields.items()) + "\n")
            p.write(ledger_line(origin, rnd, kind, fields) + "\n")


def _commit(entries, ledger_dir, rnd):
    """Appends entries to the round's ledger file and counts them in the tally."""
    with open(f"{ledger_dir}/round-{rnd}.jsonl", "a", encoding="utf-8") as led:
        for e in entries:
            led.write(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n")
    tally_path = f"{ledger_dir}/tally.json"
    try:
        with open(tally_path, encoding="utf-8") as f:
            tally = json.load(f)
    except FileNotFoundError:
        tally = {"origins": {}, "kinds": {}, "rounds": {}}
    for e in entries:
        for key, value in (("origins", e["origin"]), ("kinds", e["kind"]), ("rounds", str(e["round"]))):
            tally[key][value] = tally[key].get(value, 0) + 1
    with open(tally_path + ".new", "w", encoding="utf-8") as f:
        json.dump(tally, f)
    os.replace(tally_path + ".new", tally_path)
    print(len(entries))


def read_pending(pending):
    with open(pending, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def commit_all(pending, ledger_dir, rnd):
    _commit(read_pending(pending), ledger_dir, rnd)


def commit_piped(pending, output, ledger_dir, rnd):
    wanted = read_pending(pending)
    with open(output, encoding="utf-8") as f:
        docs = [json.loads(line) for line in f if line.strip()]
    if len(docs) > len(wanted):
        sys.exit(f"crash_check: {output} has {len(docs)} documents for {len(wanted)} commands")
    done = []
    for w, doc in zip(wanted, docs):
        if "id" in doc and "error" not in doc:
            w["id"] = doc["id"]
            done.append(w)
    _commit(done, ledger_dir, rnd)


def load_json(path, problems, what):
    """The one JSON object a command printed to PATH (its standard output only). A file that is
    missing, unreadable, empty, not JSON (a truncated document, say), not an object, or an error
    document is a problem naming the file, and gives None."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, ValueError) as e:  # (ValueError: not UTF-8)
        problems.append(f"{what}: cannot read {path}: {e}")
        return None
    if not text.strip():
        problems.append(f"{what}: {path} is empty (the command printed nothing)")
        return None
    try:
        doc = json.loads(text)
    except ValueError as e:
        problems.append(f"{what}: {path} is not one JSON document ({e}): {text[:200]!r}")
        return None
    if not isinstance(doc, dict):
        problems.append(f"{what}: {path} holds {type(doc).__name__}, not a JSON object: {text[:200]!r}")
        return None
    if "error" in doc:
        problems.append(f"{what}: {path} holds an error: {json.dumps(doc, ensure_ascii=False)[:500]}")
        return None
    return doc


def read_ledger(ledger_dir, rounds):
    entries = []
    for r in rounds:
        try:
            with open(f"{ledger_dir}/round-{r}.jsonl", encoding="utf-8") as f:
                entries += [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            pass
    return entries


def store_digest(db, problems, name):
    """What a store holds, read-only and at the storage level: a digest of every record (id,
    kind, flags, merged state), the change log per origin (count, first and last seq) and the
    knowledge table (per chain, an origin in a scope: the seq and hash of its last change held
    with every change of the chain before it, and how many changes of it are held)."""
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            # In rowid order (by id is a random walk through the table), sorted here.
            rows = sorted((id_, hashlib.sha256(f"{kind}\0{deleted}\0{conflict}\0".encode() + state).digest())
                          for id_, kind, deleted, conflict, state in con.execute(
                              "SELECT id, kind, deleted, conflict, state FROM record"))
            h, records = hashlib.sha256(), len(rows)
            for id_, digest in rows:
                h.update(id_.encode() + b"\0" + digest)
            log = {o: (n, lo, hi) for o, n, lo, hi in con.execute(
                "SELECT origin, count(*), min(seq), max(seq) FROM change GROUP BY origin")}
            knowledge = {f"{o} in {scope}": (seq, bytes(hash_).hex(), held) for o, scope, seq, hash_, held in con.execute(
                "SELECT origin, scope, seq, hash, held FROM knowledge")}
        finally:
            con.close()
    except sqlite3.Error as e:
        problems.append(f"{name}: cannot read the store: {e}")
        return None
    return {"records": records, "digest": h.hexdigest(), "log": log, "knowledge": knowledge}


def check_entries(name, docs, wanted, problems):
    """docs (entries as find or export give them) must be exactly the wanted ledger entries."""
    by_tag = {e["tag"]: e for e in wanted}
    seen = collections.Counter()
    bad = []
    for doc in docs:
        tag = doc.get("fields", {}).get("tag")
        seen[tag] += 1
        want = by_tag.get(tag)
        if want is None:
            bad.append(f"unexpected entry {doc.get('id')} (tag {tag})")
            continue
        if (doc.get("kind") != want["kind"] or doc.get("fields") != want["fields"]
                or doc.get("deleted", False) or doc.get("conflict", False)):
            bad.append(f"entry {doc.get('id')} (tag {tag}) is not as recorded:"
                       f" {json.dumps(doc, ensure_ascii=False)} vs {json.dumps(want, ensure_ascii=False)}")
        if "id" in want and doc.get("id") != want["id"]:
            bad.append(f"entry tagged {tag} has id {doc.get('id')}, recorded as {want['id']}")
        if not str(doc.get("id", "")).startswith(want["origin"] + "-"):
            bad.append(f"entry {doc.get('id')} (tag {tag}) was recorded at {want['origin']}")
    dup = sorted(t for t, n in seen.items() if n > 1)
    missing = sorted(t for t in by_tag if t not in seen)
    if dup:
        bad.append(f"{len(dup)} entries held more than once, e.g. {dup[:5]}")
    if missing:
        bad.append(f"{len(missing)} recorded entries missing, e.g. {missing[:5]}")
    problems += [f"{name}: {b}" for b in bad[:10]]
    if len(bad) > 10:
        problems.append(f"{name}: ... and {len(bad) - 10} more")


def verify(rnd, ledger_dir, work, office_db, central_db, full):
    problems = []
    try:
        with open(f"{ledger_dir}/tally.json", encoding="utf-8") as f:
            tally = json.load(f)
        if not tally.get("origins"):
            raise ValueError("it counts no entries")
    except (OSError, ValueError, AttributeError) as e:
        print(f"ledger: cannot use {ledger_dir}/tally.json: {e}")
        sys.exit(1)
    total = sum(tally["origins"].values())
    knowledge = {o: n for o, n in tally["origins"].items() if n}
    kinds = {k: n for k, n in tally["kinds"].items() if n}
    this_round = read_ledger(ledger_dir, [rnd])

    found, exports, stores = {}, {}, {}
    for name, db in (("office", office_db), ("central", central_db)):
        chk = load_json(f"{work}/check-{name}.json", problems, name)
        if chk is not None and (chk.get("ok") is not True or chk.get("problems")):
            problems.append(f"{name}: integrity check failed: {json.dumps(chk, ensure_ascii=False)}")
        st = load_json(f"{work}/status-{name}.json", problems, name)
        if st is not None:
            # Every entry this script makes is in scope general.
            for key, want in (("entries", total), ("changesHeld", total), ("knowledge", {"general": knowledge}),
                              ("kinds", kinds), ("conflicts", 0), ("forks", []), ("clockWarnings", [])):
                if st.get(key) != want:
                    problems.append(f"{name}: status {key} is {json.dumps(st.get(key), ensure_ascii=False, sort_keys=True)},"
                                    f" expected {json.dumps(want, ensure_ascii=False, sort_keys=True)}")
            if name == "office" and st.get("changesNotSent") != 0:
                problems.append(f"office: {st.get('changesNotSent')} changes not sent after a complete sync")
        cnt = load_json(f"{work}/count-{name}.json", problems, name)
        if cnt is not None and cnt.get("count") != len(this_round):
            problems.append(f"{name}: `count where round = {rnd}` gives {cnt.get('count')},"
                            f" expected {len(this_round)}")
        fnd = load_json(f"{work}/find-{name}.json", problems, name)
        if fnd is not None and not isinstance(fnd.get("entries"), list):
            problems.append(f"{name}: {work}/find-{name}.json has no list of entries:"
                            f" {json.dumps(fnd, ensure_ascii=False)[:300]}")
        elif fnd is not None:
            found[name] = sorted(fnd["entries"], key=lambda e: e.get("id", ""))
            check_entries(f"{name} (`find where round = {rnd}`)", found[name], this_round, problems)
        if full:
            try:
                with open(f"{work}/export-{name}.jsonl", encoding="utf-8") as f:
                    exports[name] = sorted(line.rstrip("\n") for line in f if line.strip())
            except OSError as e:
                problems.append(f"{name}: no export: {e}")
        sd = store_digest(db, problems, name)
        if sd is not None:
            stores[name] = sd
            if sd["records"] != total:
                problems.append(f"{name}: {sd['records']} records, expected {total}")
            log = {o: n for o, (n, lo, hi) in sd["log"].items()}
            if log != knowledge:
                problems.append(f"{name}: change log per origin {json.dumps(log, sort_keys=True)},"
                                f" expected {json.dumps(knowledge, sort_keys=True)}")
            for o, (n, lo, hi) in sd["log"].items():
                if (lo, hi) != (1, n):  # (origin, seq) is unique: seqs 1..n each once
                    problems.append(f"{name}: {o}'s changes are seqs {lo}..{hi}, {n} of them")
            kn = {o.removesuffix(" in general"): seq for o, (seq, _, held) in sd["knowledge"].items()}
            if kn != knowledge or any(seq != held for seq, _, held in sd["knowledge"].values()):
                problems.append(f"{name}: knowledge table {json.dumps(kn, sort_keys=True)},"
                                f" expected {json.dumps(knowledge, sort_keys=True)}")

    if len(found) == 2 and found["office"] != found["central"]:
        problems.append(f"the entries of round {rnd} differ between the stores (`find where round = {rnd}`)")
    if len(stores) == 2:
        if stores["office"]["knowledge"] != stores["central"]["knowledge"]:
            problems.append("knowledge differs (seq or chained hash): "
                            f"office {stores['office']['knowledge']}, central {stores['central']['knowledge']}")
        if stores["office"]["digest"] != stores["central"]["digest"]:
            problems.append("the records differ between the stores (id, kind, flags or merged state)")
    if full:
        everything = read_ledger(ledger_dir, range(1, rnd + 1))
        if len(everything) != total:
            problems.append(f"ledger: {len(everything)} entries in its files, {total} in its tally (script error)")
        same = len(exports) == 2 and exports["office"] == exports["central"]
        for name, lines in exports.items():  # when both are the same, one says it for both
            check_entries(f"{name} (export)", [json.loads(line) for line in lines], everything, problems)
            if same:
                break
        if len(exports) == 2 and not same:
            only_o = set(exports["office"]) - set(exports["central"])
            only_c = set(exports["central"]) - set(exports["office"])
            problems.append(f"the exports differ: {len(only_o)} lines only at office, {len(only_c)} only at"
                            f" central; e.g. {sorted(only_o)[:1]} {sorted(only_c)[:1]}")

    for p in problems:
        print(p)
    if problems:
        sys.exit(1)


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "gen-import" and len(args) == 5:
        gen_import(int(args[0]), int(args[1]), args[2], args[3], args[4])
    elif cmd == "gen-adds" and len(args) == 6:
        gen_adds(args[0], int(args[1]), int(args[2]), args[3], args[4], args[5])
    elif cmd == "commit-all" and len(args) == 3:
        commit_all(args[0], args[1], int(args[2]))
    elif cmd == "commit-piped" and len(args) == 4:
        commit_piped(args[0], args[1], args[2], int(args[3]))
    elif cmd == "verify" and len(args) in (5, 6) and args[5:] in ([], ["full"]):
        verify(int(args[0]), *args[1:5], full=args[5:] == ["full"])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
