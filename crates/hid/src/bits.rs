//! Reading and writing fields that need not start or end on a byte boundary
//! (HID reports are little-endian bit streams).

/// Reads `size` bits (at most 32) at `offset` from `data`; `None` if the data is short.
pub fn read(data: &[u8], offset: u32, size: u32) -> Option<u32> {
    if size == 0 || size > 32 || (offset + size).div_ceil(8) as usize > data.len() {
        return None;
    }
    let mut value = 0u64;
    for i in 0..size {
        let bit = offset + i;
        let set = (data[(bit / 8) as usize] >> (bit % 8)) & 1;
        value |= u64::from(set) << i;
    }
    Some(value as u32)
}

/// Reads a field as the descriptor's logical range says: signed when the
/// minimum is negative.
pub fn read_logical(data: &[u8], offset: u32, size: u32, logical_min: i64) -> Option<i64> {
    let raw = read(data, offset, size)?;
    if logical_min < 0 && size < 32 && raw & (1 << (size - 1)) != 0 {
        Some(i64::from(raw) - (1i64 << size))
    } else {
        Some(i64::from(raw))
    }
}

/// Writes the low `size` bits of `value` at `offset`. Bits outside `data` are dropped.
pub fn write(data: &mut [u8], offset: u32, size: u32, value: u32) {
    for i in 0..size.min(32) {
        let bit = offset + i;
        let Some(byte) = data.get_mut((bit / 8) as usize) else {
            return;
        };
        if (value >> i) & 1 == 1 {
            *byte |= 1 << (bit % 8);
        } else {
            *byte &= !(1 << (bit % 8));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn across_byte_boundaries() {
        // Jabra's keypad: 4 bits at bit 7. Value 5 = bit 7 set, then 0b10 in byte 1.
        let mut d = [0u8; 2];
        write(&mut d, 7, 4, 5);
        assert_eq!(d, [0x80, 0x02]);
        assert_eq!(read(&d, 7, 4), Some(5));
        assert_eq!(read(&d, 7, 20), None);
        assert_eq!(read_logical(&[0x03], 0, 2, -1), Some(-1));
        assert_eq!(read_logical(&[0x01], 0, 2, -1), Some(1));
        write(&mut d, 7, 4, 0);
        assert_eq!(d, [0, 0]);
    }
}
