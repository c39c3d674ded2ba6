//! CRC-32C (Castagnoli), the frame check of every frame.
//!
//! Parameters (Rocksoft model): width 32, poly 0x1EDC6F41 (reflected 0x82F63B78), init
//! 0xFFFFFFFF, refin true, refout true, xorout 0xFFFFFFFF, check ("123456789") 0xE3069283.
//! CRC-32C was chosen over CRC-16 because its Hamming distance stays at 6 or more for frames up
//! to a few hundred bytes, so every 1..5-bit error in a frame is caught, and microcontrollers
//! with a CRC unit (and x86/ARM CRC32C instructions) compute it in hardware.

/// Reflected polynomial of CRC-32C.
const POLY_REFLECTED: u32 = 0x82F6_3B78;

/// Byte-at-a-time lookup table, built at compile time so there is no start-up cost and no
/// mutable state (the table lives in flash on a microcontroller).
const TABLE: [u32; 256] = build_table();

const fn build_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ POLY_REFLECTED
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

/// CRC-32C of `data`.
pub fn crc32c(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc = TABLE[((crc ^ b as u32) & 0xFF) as usize] ^ (crc >> 8);
    }
    crc ^ 0xFFFF_FFFF
}

#[cfg(test)]
mod tests {
    use super::crc32c;

    /// Test vectors: the catalogue check value, and RFC 3720 (iSCSI) appendix B.4.
    #[test]
    fn known_vectors() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c(&[0u8; 32]), 0x8A91_36AA);
        assert_eq!(crc32c(&[0xFFu8; 32]), 0x62A8_AB43);
        let inc: [u8; 32] = core::array::from_fn(|i| i as u8);
        assert_eq!(crc32c(&inc), 0x46DD_794E);
        assert_eq!(crc32c(b""), 0);
    }
}
