//! Free-text redaction on Kakou's own hand-written held-out-style notes
//! (tests/data/text-heldout, other templates than the dev set), judged by
//! ../shared/eval/text/score.py. A floor, not a target.

use std::path::Path;

/// (recall, precision) in characters for the notes of `lang` whose id starts with `prefix`.
fn score(lang: &str, prefix: &str) -> (f64, f64) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/text-heldout/notes.jsonl");
    let gold_all = std::fs::read_to_string(&path).expect("held-out notes");
    let (mut gold, mut pred) = (String::new(), String::new());
    for line in gold_all.lines().filter(|l| !l.trim().is_empty()) {
        let note: serde_json::Value = serde_json::from_str(line).expect("gold JSON");
        let id = note["id"].as_str().expect("id");
        if note["lang"] != lang || !id.starts_with(prefix) {
            continue;
        }
        let text = note["text"].as_str().expect("text");
        let spans: Vec<serde_json::Value> = kakou_sdk::text::find(text)
            .into_iter()
            .map(|s| serde_json::json!({"start": s.start, "end": s.end, "type": s.kind}))
            .collect();
        gold.push_str(line);
        gold.push('\n');
        pred.push_str(&serde_json::json!({"id": id, "spans": spans}).to_string());
        pred.push('\n');
    }
    assert!(!gold.is_empty(), "no {lang} notes with prefix {prefix}");
    kakou_tests::score_text_spans(&gold, &pred)
}

#[test]
fn japanese_heldout_notes_meet_the_floor() {
    let (recall, precision) = score("ja", "ho-");
    assert!(recall >= 0.97 && precision >= 0.97, "ja: recall {recall}, precision {precision}");
}

#[test]
fn english_heldout_notes_meet_the_floor() {
    let (recall, precision) = score("en", "ho-");
    assert!(recall >= 0.95 && precision >= 0.97, "en: recall {recall}, precision {precision}");
}
