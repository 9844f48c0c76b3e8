//! What the `caredesk` CLI does with hostile input and where it writes:
//! names and texts printed for people show control and bidi characters as
//! visible escapes (JSON keeps them exact); exports are private new files.

use caredesk_tests::{require_keyring, write_file, Cli};

fn fresh() -> (tempfile::TempDir, Cli) {
    require_keyring();
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(&dir.path().join("data"));
    (dir, cli)
}

/// A roster name that clears the screen, retitles the terminal, rings the
/// bell, overprints itself and reverses what follows it.
const HOSTILE_NAME: &str = "Eve\u{1b}[2J\u{1b}]0;pwned\u{7}\rBob \u{202E}gpj.exe\u{2066}\u{9b}";

#[test]
fn human_output_escapes_control_and_bidi_characters_json_keeps_them() {
    let (dir, cli) = fresh();
    let roster = format!("ecm_patient_id,name,phone\n9201,\"{HOSTILE_NAME}\",+18055550150\n");
    let file = write_file(dir.path(), "roster.csv", &roster);
    cli.ok(&["patients", "import", file.to_str().unwrap()]);

    let human = cli.ok(&["patients", "list"]).stdout;
    for raw in ['\u{1b}', '\u{7}', '\r', '\u{202E}', '\u{2066}', '\u{9b}'] {
        assert!(!human.contains(raw), "{raw:?} printed raw: {human:?}");
    }
    assert!(
        human.contains("Eve⟨U+001B⟩[2J⟨U+001B⟩]0;pwned⟨U+0007⟩⟨U+000D⟩Bob ⟨U+202E⟩gpj.exe⟨U+2066⟩⟨U+009B⟩"),
        "{human}"
    );

    let json = cli.json(&["patients", "list", "--json"]);
    assert_eq!(json[0]["name"], HOSTILE_NAME, "JSON carries the name exactly");
}
