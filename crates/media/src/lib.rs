//! placeholder until the media crate lands
