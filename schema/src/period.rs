//! The periods of participation reports (PROTOCOL.md §10.1): a day or a month of the alliance's
//! local time, UTC+08:00 in v1 (Asia/Shanghai, which has kept no daylight saving since 1991).

use crate::v1::bodies::ReportPeriod;

/// The alliance's offset from UTC, in seconds.
pub const UTC_OFFSET_SECS: i64 = 8 * 3600;
const DAY: i64 = 86_400;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (year, month, day) of a day count since 1970-01-01 (`civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The local date of a Unix time.
pub fn local_date(unix: i64) -> (i64, i64, i64) {
    civil_from_days((unix + UTC_OFFSET_SECS).div_euclid(DAY))
}

/// The Unix time of a local midnight.
fn midnight(y: i64, m: i64, d: i64) -> i64 {
    days_from_civil(y, m, d) * DAY - UTC_OFFSET_SECS
}

/// The bounds [start, end) of the period of kind `p` that contains `unix`.
pub fn bounds(p: ReportPeriod, unix: i64) -> (i64, i64) {
    let (y, m, d) = local_date(unix);
    match p {
        ReportPeriod::Day => {
            let start = midnight(y, m, d);
            (start, start + DAY)
        }
        ReportPeriod::Month => {
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            (midnight(y, m, 1), midnight(ny, nm, 1))
        }
    }
}

/// The period before the one that contains `unix` (yesterday, last month).
pub fn previous(p: ReportPeriod, unix: i64) -> (i64, i64) {
    let (start, _) = bounds(p, unix);
    bounds(p, start - 1)
}

/// Whether [start, end) are the bounds of one period of kind `p`.
pub fn is_period(p: ReportPeriod, start: i64, end: i64) -> bool {
    bounds(p, start) == (start, end)
}

/// How the period is named: `2026-12-03` or `2026-12`.
pub fn label(p: ReportPeriod, start: i64) -> String {
    let (y, m, d) = local_date(start);
    match p {
        ReportPeriod::Day => format!("{y:04}-{m:02}-{d:02}"),
        ReportPeriod::Month => format!("{y:04}-{m:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_months_of_china_standard_time() {
        // PROTOCOL.md §10.1's examples.
        assert_eq!(
            bounds(ReportPeriod::Day, 1_796_227_200),
            (1_796_227_200, 1_796_313_600)
        );
        assert_eq!(
            bounds(ReportPeriod::Month, 1_796_300_000),
            (1_796_054_400, 1_798_732_800)
        );
        assert_eq!(label(ReportPeriod::Day, 1_796_227_200), "2026-12-03");
        assert_eq!(label(ReportPeriod::Month, 1_796_054_400), "2026-12");
        // 23:59:59 local is the same day, 00:00 local the next.
        assert_eq!(bounds(ReportPeriod::Day, 1_796_313_599).0, 1_796_227_200);
        assert_eq!(bounds(ReportPeriod::Day, 1_796_313_600).0, 1_796_313_600);
        // February of a leap year, and the year's turn.
        let feb = bounds(ReportPeriod::Month, midnight(2028, 2, 15));
        assert_eq!((feb.1 - feb.0) / DAY, 29);
        assert_eq!(
            previous(ReportPeriod::Month, midnight(2027, 1, 5)),
            (midnight(2026, 12, 1), midnight(2027, 1, 1))
        );
        assert!(is_period(ReportPeriod::Day, 1_796_227_200, 1_796_313_600));
        assert!(!is_period(ReportPeriod::Day, 1_796_227_201, 1_796_313_601));
        assert!(!is_period(
            ReportPeriod::Month,
            1_796_227_200,
            1_796_313_600
        ));
        for z in -800_000..800_000 {
            if z % 997 == 0 {
                let (y, m, d) = civil_from_days(z);
                assert_eq!(days_from_civil(y, m, d), z);
            }
        }
    }
}
