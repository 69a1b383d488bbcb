//! Where a recording cut off by a crash can be cut cleanly: the length of the run of whole
//! Ogg pages at the start of a file (RFC 3533 §6: "OggS", version 0, 27-byte header, a
//! segment table, then the body the table adds up to). Pure; no CRC check (a torn write
//! shows as a short last page, which is what this finds).

/// The byte length of the whole pages at the start of `bytes` (0 if the first is not whole).
pub fn whole_pages(bytes: &[u8]) -> usize {
    page_lengths(bytes).iter().sum()
}

/// The length of each whole page at the start of `bytes`, in order.
pub fn page_lengths(bytes: &[u8]) -> Vec<usize> {
    let mut lengths = Vec::new();
    let mut at = 0;
    while let Some(page) = page_length(&bytes[at..]) {
        lengths.push(page);
        at += page;
    }
    lengths
}

/// The length of the page at the start of `bytes`, if it is all there.
fn page_length(bytes: &[u8]) -> Option<usize> {
    const HEADER: usize = 27;
    if bytes.len() < HEADER || &bytes[..4] != b"OggS" || bytes[4] != 0 {
        return None;
    }
    let segments = usize::from(bytes[26]);
    let table = bytes.get(HEADER..HEADER + segments)?;
    let body: usize = table.iter().map(|&lacing| usize::from(lacing)).sum();
    let total = HEADER + segments + body;
    (bytes.len() >= total).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page with `body` split into 255-byte lacing values.
    fn page(body: &[u8]) -> Vec<u8> {
        let mut lacing: Vec<u8> = body.chunks(255).map(|c| c.len() as u8).collect();
        if body.len().is_multiple_of(255) {
            lacing.push(0);
        }
        let mut page = b"OggS".to_vec();
        page.push(0);
        page.extend_from_slice(&[0; 21]);
        page.push(lacing.len() as u8);
        page.extend(lacing);
        page.extend_from_slice(body);
        page
    }

    #[test]
    fn whole_pages_are_kept_and_a_torn_last_page_is_cut() {
        let first = page(b"OpusHead.........");
        let second = page(&[7; 600]);
        let mut file = [first.clone(), second.clone()].concat();
        assert_eq!(whole_pages(&file), file.len());
        assert_eq!(page_lengths(&file), [first.len(), second.len()]);
        let third = page(&[9; 300]);
        file.extend_from_slice(&third[..third.len() - 10]);
        assert_eq!(whole_pages(&file), first.len() + second.len());
        // Cut inside the segment table, and inside the header.
        assert_eq!(whole_pages(&second[..28]), 0);
        assert_eq!(whole_pages(&second[..10]), 0);
    }

    #[test]
    fn anything_that_is_not_an_ogg_page_is_no_page() {
        assert_eq!(whole_pages(b""), 0);
        assert_eq!(whole_pages(&[0u8; 64]), 0);
        let mut wrong_version = page(b"x");
        wrong_version[4] = 1;
        assert_eq!(whole_pages(&wrong_version), 0);
    }
}
