//! Importing into a desk that others use at the same time (the app: the
//! engine, the UI's reads). The desk is locked only to read the settings and
//! parse, then once per chunk of [`super::CHUNK_ROWS`] rows, so a
//! 100,000-row roster never holds it for more than one chunk.

use std::sync::Mutex;

use super::{chunks, parse_rows, store_chunk, FhirOptions, ImportProgress, ImportSummary};
use crate::{desk::lock, desk::Desk, rules::error::Result};

/// [`Desk::import_patients`] for a shared desk: the same rows, chunks and
/// audit entries, with the lock let go between chunks. `progress` is called
/// with the desk unlocked.
pub fn import_patients(
    desk: &Mutex<Desk>,
    file_name: &str,
    content: &str,
    progress: &mut dyn FnMut(ImportProgress),
) -> Result<ImportSummary> {
    let (rows, actor) = {
        let d = lock(desk)?;
        let fhir: FhirOptions = d.roster_options()?;
        (parse_rows(d.db(), file_name, content, d.region(), &fhir)?, d.actor())
    };
    let total = rows.len();
    let mut summary = ImportSummary { total_rows: total, ..Default::default() };
    progress(ImportProgress { done: 0, total });
    let run = crate::store::ImportRun::new();
    let mut done = 0;
    for chunk in chunks(rows) {
        done += chunk.len();
        store_chunk(lock(desk)?.db_mut(), chunk, &mut summary, &run, &actor)?;
        // Let a waiting reader in before the next chunk.
        std::thread::yield_now();
        progress(ImportProgress { done, total });
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use std::{
        fmt::Write,
        sync::{mpsc, Arc},
        time::{Duration, Instant},
    };

    use super::*;

    fn roster(rows: usize) -> String {
        let mut csv = String::from("ecm_patient_id,name,phone\n");
        for i in 0..rows {
            let _ = writeln!(csv, "{},Patient {i},+1805{:07}", 100_000 + i, i);
        }
        csv
    }

    /// 3,000 rows (3 chunks), in every test run.
    #[test]
    fn a_large_import_lets_other_desk_reads_through() {
        import_while_reading(3_000);
    }

    /// The 100,000-row figure: several minutes in a debug build, so run it
    /// on purpose: `cargo test -p caredesk-core --lib import::shared -- --ignored --nocapture`.
    #[test]
    #[ignore = "minutes in a debug build; run with --ignored --nocapture for the figures"]
    fn a_100000_row_import_lets_other_desk_reads_through() {
        import_while_reading(100_000);
    }

    /// An import of `n` rows while another thread reads the desk: the reader
    /// gets in after each of the first chunks (or this blocks, and the
    /// deadlock guard fails). Figures are printed (`--nocapture`); nothing
    /// asserts a duration.
    fn import_while_reading(n: usize) {
        let dir = tempfile::tempdir().unwrap();
        let desk = Arc::new(Mutex::new(
            Desk::open(crate::desk::DeskOptions {
                data_dir: Some(dir.path().into()),
                keyring: crate::desk::KeyringChoice::Given(crate::desk::secrets::memory_store()),
            })
            .unwrap(),
        ));
        let content = roster(n);
        let (chunk_done, chunk_seen) = mpsc::channel::<usize>();
        let (read_done, read_seen) = mpsc::channel::<()>();
        let reader = {
            let desk = desk.clone();
            std::thread::spawn(move || {
                let (mut reads, mut worst) = (0u32, Duration::ZERO);
                // For the first chunks, read right after each: the desk must
                // be free then, or this blocks and the guard below fails.
                while let Ok(done) = chunk_seen.recv() {
                    let asked = Instant::now();
                    let found = lock(&desk).unwrap().patients("Patient", 1).unwrap().len();
                    worst = worst.max(asked.elapsed());
                    reads += 1;
                    assert!(found <= 1);
                    let _ = read_done.send(());
                    if done == usize::MAX {
                        break;
                    }
                }
                (reads, worst)
            })
        };
        let started = Instant::now();
        let mut chunks_seen = 0;
        let summary = import_patients(&desk, "roster.csv", &content, &mut |p| {
            if p.done > 0 && chunks_seen < 20 {
                chunks_seen += 1;
                chunk_done.send(p.done).unwrap();
                read_seen.recv_timeout(Duration::from_secs(60)).expect("a read got through between chunks");
            }
        })
        .unwrap();
        let took = started.elapsed();
        chunk_done.send(usize::MAX).unwrap();
        let (reads, worst) = reader.join().unwrap();
        assert_eq!((summary.total_rows, summary.created, summary.rejected.len()), (n, n, 0));
        let chunks = n.div_ceil(super::super::CHUNK_ROWS);
        assert_eq!(reads as usize, chunks.min(20) + 1, "a read after each of the first chunks, and one at the end");
        println!(
            "imported {n} rows in {:.1} s ({:.0} rows/s), {chunks} chunks of {}; {reads} desk reads between chunks, slowest {:.1} ms",
            took.as_secs_f64(),
            n as f64 / took.as_secs_f64(),
            super::super::CHUNK_ROWS,
            worst.as_secs_f64() * 1000.0
        );
    }
}
