//! Free-text redaction on the annotated dev notes, judged by ../shared/eval/text/score.py.
//! A floor, not a target: the held-out set has other templates (docs/text.md).

use kakou_tests::shared_dir;

fn score(lang: &str) -> (f64, f64) {
    let gold_all = std::fs::read_to_string(shared_dir().join("data/text-dev/notes.jsonl")).expect("dev notes");
    let (mut gold, mut pred) = (String::new(), String::new());
    for line in gold_all.lines().filter(|l| !l.trim().is_empty()) {
        let note: serde_json::Value = serde_json::from_str(line).expect("gold JSON");
        if note["lang"] != lang {
            continue;
        }
        let text = note["text"].as_str().expect("text");
        let spans: Vec<serde_json::Value> = kakou_sdk::text::find(text)
            .into_iter()
            .map(|s| serde_json::json!({"start": s.start, "end": s.end, "type": s.kind}))
            .collect();
        gold.push_str(line);
        gold.push('\n');
        pred.push_str(&serde_json::json!({"id": note["id"], "spans": spans}).to_string());
        pred.push('\n');
    }
    kakou_tests::score_text_spans(&gold, &pred)
}

#[test]
fn japanese_notes_meet_the_floor() {
    let (recall, precision) = score("ja");
    assert!(recall >= 0.99 && precision >= 0.95, "ja: recall {recall}, precision {precision}");
}

#[test]
fn english_notes_meet_the_floor() {
    let (recall, precision) = score("en");
    assert!(recall >= 0.99 && precision >= 0.95, "en: recall {recall}, precision {precision}");
}
