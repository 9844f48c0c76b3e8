//! Business days, for the FCC's deadline to honour a revocation of consent
//! (47 CFR 64.1200(a)(10): within a reasonable time, at most ten business
//! days). Weekends are skipped; public holidays are not, so a due date can
//! only come a day or two early, never late.

use chrono::{Datelike, NaiveDate, Weekday};

/// The day `n` business days after `from` (Saturdays and Sundays skipped):
/// a request on a Friday with `n` = 1 is due on the Monday.
pub fn add_business_days(from: NaiveDate, n: u32) -> NaiveDate {
    let mut day = from;
    let mut left = n;
    while left > 0 {
        day = day.succ_opt().unwrap_or(day);
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    day
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn ten_business_days_skip_two_weekends() {
        // Monday 7 December 2026 + 10 business days: Monday 21 December.
        assert_eq!(add_business_days(d("2026-12-07"), 10), d("2026-12-21"));
        // Friday + 1: Monday; Saturday + 1: Monday; Sunday + 10: Friday two weeks on.
        assert_eq!(add_business_days(d("2026-12-11"), 1), d("2026-12-14"));
        assert_eq!(add_business_days(d("2026-12-12"), 1), d("2026-12-14"));
        assert_eq!(add_business_days(d("2026-12-13"), 10), d("2026-12-25"));
        assert_eq!(add_business_days(d("2026-12-07"), 0), d("2026-12-07"));
    }
}
