//! How positions become sled keys: 8 bytes big-endian, so sled's byte order is log order.

pub fn position_key(position: u64) -> [u8; 8] {
    position.to_be_bytes()
}

pub fn key_position(key: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(key.try_into().ok()?))
}
