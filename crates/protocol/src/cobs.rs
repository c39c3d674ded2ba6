//! Consistent Overhead Byte Stuffing: removes every 0x00 from a frame so that 0x00 can
//! delimit frames. Overhead is one byte per started 254 bytes; a receiver that joins a stream
//! in the middle, or loses bytes, resynchronises at the next 0x00.

/// Longest run of non-zero bytes one code byte can describe.
const MAX_RUN: usize = 254;

/// Worst-case encoded size of `n` input bytes (without the delimiter).
pub const fn max_encoded_len(n: usize) -> usize {
    n + n / MAX_RUN + 1
}

/// Ends the block whose code byte is at `code_at`: writes its `code` and opens the next block
/// at `w`. `None` when the next code byte would not fit in `out`.
fn end_block(out: &mut [u8], code_at: &mut usize, w: &mut usize, code: &mut u8) -> Option<()> {
    out[*code_at] = *code;
    *code_at = *w;
    *w += 1;
    *code = 1;
    if *code_at >= out.len() {
        return None;
    }
    Some(())
}

/// Encodes `input` into `out`; returns the encoded length (no delimiter written), or `None` if
/// `out` is too small.
pub fn encode(input: &[u8], out: &mut [u8]) -> Option<usize> {
    if out.is_empty() {
        return None;
    }
    let mut code_at = 0usize;
    let mut w = 1usize;
    let mut code: u8 = 1;
    for &b in input {
        if b == 0 {
            end_block(out, &mut code_at, &mut w, &mut code)?;
        } else {
            *out.get_mut(w)? = b;
            w += 1;
            code += 1;
            if code as usize == MAX_RUN + 1 {
                end_block(out, &mut code_at, &mut w, &mut code)?;
            }
        }
    }
    out[code_at] = code;
    Some(w)
}

/// Why a COBS block could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CobsError {
    /// A zero byte inside the block (cannot happen between delimiters; kept for direct callers).
    ZeroByte,
    /// A code byte points past the end of the block: bytes were lost.
    Truncated,
    /// The decoded data does not fit the output buffer.
    TooLong,
}

/// Decodes one COBS block (delimiter already removed) into `out`; returns the decoded length.
pub fn decode(input: &[u8], out: &mut [u8]) -> Result<usize, CobsError> {
    let mut r = 0usize;
    let mut w = 0usize;
    while r < input.len() {
        let code = input[r];
        if code == 0 {
            return Err(CobsError::ZeroByte);
        }
        r += 1;
        let run = code as usize - 1;
        if r + run > input.len() {
            return Err(CobsError::Truncated);
        }
        for &b in &input[r..r + run] {
            if b == 0 {
                return Err(CobsError::ZeroByte);
            }
            *out.get_mut(w).ok_or(CobsError::TooLong)? = b;
            w += 1;
        }
        r += run;
        // A full-length run carries no implied zero; the last group never does.
        if code as usize != MAX_RUN + 1 && r < input.len() {
            *out.get_mut(w).ok_or(CobsError::TooLong)? = 0;
            w += 1;
        }
    }
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(data: &[u8]) {
        let mut enc = [0u8; 1024];
        let n = encode(data, &mut enc).unwrap();
        assert!(n <= max_encoded_len(data.len()));
        assert!(!enc[..n].contains(&0));
        let mut dec = [0u8; 1024];
        let m = decode(&enc[..n], &mut dec).unwrap();
        assert_eq!(&dec[..m], data);
    }

    /// Examples from the COBS paper (Cheshire & Baker 1999) and its usual edge cases.
    #[test]
    fn known_encodings() {
        let mut out = [0u8; 16];
        let n = encode(&[0x00], &mut out).unwrap();
        assert_eq!(&out[..n], &[0x01, 0x01]);
        let n = encode(&[0x11, 0x22, 0x00, 0x33], &mut out).unwrap();
        assert_eq!(&out[..n], &[0x03, 0x11, 0x22, 0x02, 0x33]);
        let n = encode(&[0x11, 0x00, 0x00, 0x00], &mut out).unwrap();
        assert_eq!(&out[..n], &[0x02, 0x11, 0x01, 0x01, 0x01]);
        let n = encode(&[], &mut out).unwrap();
        assert_eq!(&out[..n], &[0x01]);
    }

    #[test]
    fn long_runs_roundtrip() {
        let a: [u8; 254] = [7; 254];
        roundtrip(&a);
        let b: [u8; 255] = [9; 255];
        roundtrip(&b);
        let mut c = [1u8; 600];
        c[253] = 0;
        c[508] = 0;
        roundtrip(&c);
        roundtrip(&[0; 300]);
    }

    #[test]
    fn truncated_block_is_reported() {
        let mut out = [0u8; 16];
        assert_eq!(decode(&[0x05, 1, 2], &mut out), Err(CobsError::Truncated));
        assert_eq!(decode(&[0x02, 0], &mut out), Err(CobsError::ZeroByte));
        let mut small = [0u8; 1];
        assert_eq!(decode(&[0x03, 1, 2], &mut small), Err(CobsError::TooLong));
    }
}
