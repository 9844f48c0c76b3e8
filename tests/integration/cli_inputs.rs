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

#[test]
fn exports_are_private_new_files_and_the_folder_is_absolute() {
    let (dir, cli) = fresh();
    let out = dir.path().join("report.csv");
    cli.ok(&["export", "activities", "-o", out.to_str().unwrap()]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "an export is readable by its owner only, whatever the umask");
    }
    let before = std::fs::read(&out).unwrap();
    let again = cli.run(&["export", "fhir", "-o", out.to_str().unwrap()]).expect_err();
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    assert_eq!(std::fs::read(&out).unwrap(), before, "an existing file is never replaced");

    #[cfg(unix)]
    {
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "keep").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        cli.run(&["export", "fhir", "-o", link.to_str().unwrap()]).expect_err();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep", "a link at the name is not followed");
    }

    let relative = cli.run(&["config", "set", "export.dir", "exports"]).expect_err();
    assert!(relative.stderr.contains("absolute folder"), "{}", relative.stderr);
}
