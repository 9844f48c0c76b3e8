//! `caredesk-bench sql [--copy] SQL...`: for looking into a figure. Opens the
//! generated database (a scratch copy with `--copy`, so statements may change
//! it, e.g. a candidate index), and for each statement prints its query plan,
//! how many rows it returns and how long it takes (best of three).

use std::time::Instant;

use rusqlite::{types::ValueRef, Connection};

use crate::datagen;

pub fn run(args: &[String]) -> Result<(), String> {
    let ds = datagen::cached().map_err(|e| e.to_string())?;
    let copy = args.first().is_some_and(|a| a == "--copy");
    let path = if copy {
        let dir = datagen::data_root().join("explain");
        datagen::working_copy(&ds, &dir).map_err(|e| e.to_string())?
    } else {
        ds.db_path.clone()
    };
    let conn = Connection::open(&path).map_err(|e| e.to_string())?;
    conn.execute_batch(&format!("PRAGMA key = \"x'{}'\"; PRAGMA cipher_log_level = NONE;", ds.key.expose()))
        .map_err(|e| e.to_string())?;
    for sql in args.iter().skip(usize::from(copy)) {
        println!("== {sql}");
        if let Ok(mut plan) = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")) {
            let rows = plan
                .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(3)?)))
                .map_err(|e| e.to_string())?;
            for row in rows.flatten() {
                println!("   plan: {} {} {}", row.0, row.1, row.2);
            }
        }
        let mut best = f64::MAX;
        let mut count = 0;
        let mut first = String::new();
        let lower = sql.trim_start().to_ascii_lowercase();
        let is_query = lower.starts_with("select") || lower.starts_with("with");
        for _ in 0..if is_query { 3 } else { 1 } {
            let t = Instant::now();
            let mut stmt = conn.prepare(sql).map_err(|e| e.to_string())?;
            let cols = stmt.column_count();
            let mut rows = stmt.query([]).map_err(|e| e.to_string())?;
            count = 0;
            while let Some(r) = rows.next().map_err(|e| e.to_string())? {
                if count == 0 {
                    first = (0..cols)
                        .map(|i| match r.get_ref(i) {
                            Ok(ValueRef::Text(t)) => String::from_utf8_lossy(t).chars().take(40).collect(),
                            Ok(ValueRef::Integer(n)) => n.to_string(),
                            Ok(ValueRef::Real(x)) => x.to_string(),
                            Ok(ValueRef::Null) => "NULL".into(),
                            _ => "?".into(),
                        })
                        .collect::<Vec<_>>()
                        .join(" | ");
                }
                count += 1;
            }
            best = best.min(t.elapsed().as_secs_f64() * 1000.0);
        }
        println!("   {count} rows, best {best:.2} ms; first: {first}");
    }
    Ok(())
}
