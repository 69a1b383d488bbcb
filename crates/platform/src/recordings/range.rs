//! The one HTTP `Range` form a player asks for (RFC 9110 §14.1.2): a single byte range,
//! `bytes=a-b`, `bytes=a-` or `bytes=-n`. Several ranges or other units are answered with
//! the whole file (allowed by RFC 9110); an unsatisfiable range with 416. Pure.

/// What to send of a file of `size` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slice {
    /// The whole file (200).
    Whole,
    /// Bytes `start..=end` (206, `Content-Range: bytes start-end/size`).
    Part { start: u64, end: u64 },
    /// No byte of the file is in the range (416, `Content-Range: bytes */size`).
    Unsatisfiable,
}

/// The slice `header` (the `Range` value, if any) asks for.
pub fn slice(header: Option<&str>, size: u64) -> Slice {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Slice::Whole;
    };
    if spec.contains(',') {
        return Slice::Whole;
    }
    let Some((from, to)) = spec.trim().split_once('-') else {
        return Slice::Whole;
    };
    let number = |s: &str| s.trim().parse::<u64>().ok();
    match (from.trim().is_empty(), to.trim().is_empty()) {
        // The last n bytes.
        (true, false) => match number(to) {
            None => Slice::Whole,
            Some(0) => Slice::Unsatisfiable,
            Some(_) if size == 0 => Slice::Unsatisfiable,
            Some(n) => Slice::Part {
                start: size.saturating_sub(n),
                end: size - 1,
            },
        },
        (false, open_ended) => {
            let Some(start) = number(from) else {
                return Slice::Whole;
            };
            if start >= size {
                return Slice::Unsatisfiable;
            }
            let end = match open_ended {
                true => size - 1,
                false => match number(to) {
                    Some(end) if end >= start => end.min(size - 1),
                    _ => return Slice::Whole,
                },
            };
            Slice::Part { start, end }
        }
        (true, true) => Slice::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_ranges_are_cut_to_the_file_and_the_rest_is_the_whole_file() {
        let part = |start, end| Slice::Part { start, end };
        assert_eq!(slice(None, 100), Slice::Whole);
        assert_eq!(slice(Some("bytes=0-9"), 100), part(0, 9));
        assert_eq!(slice(Some("bytes=90-"), 100), part(90, 99));
        assert_eq!(slice(Some("bytes=90-500"), 100), part(90, 99));
        assert_eq!(slice(Some("bytes=-10"), 100), part(90, 99));
        assert_eq!(slice(Some("bytes=-500"), 100), part(0, 99));
        assert_eq!(slice(Some("bytes=100-"), 100), Slice::Unsatisfiable);
        assert_eq!(slice(Some("bytes=-0"), 100), Slice::Unsatisfiable);
        assert_eq!(slice(Some("bytes=0-"), 0), Slice::Unsatisfiable);
        // Not worth a partial answer: several ranges, other units, nonsense, reversed.
        assert_eq!(slice(Some("bytes=0-1,5-6"), 100), Slice::Whole);
        assert_eq!(slice(Some("items=0-1"), 100), Slice::Whole);
        assert_eq!(slice(Some("bytes=x-"), 100), Slice::Whole);
        assert_eq!(slice(Some("bytes=9-2"), 100), Slice::Whole);
        assert_eq!(slice(Some("bytes=-"), 100), Slice::Whole);
    }
}
