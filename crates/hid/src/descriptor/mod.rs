//! HID report descriptors (HID 1.11 section 6.2.2), parsed the way Linux's
//! hid-core does: global state with push/pop, local usages completed with the
//! last usage page (`hid_concatenate_last_usage_page`), usage ranges, report IDs,
//! nested collections, long items skipped, padding advancing the bit offset.

mod parser;

use serde::Serialize;

pub use parser::parse;

use crate::usage::Usage;

/// Limits that keep hostile descriptors from costing memory (Linux's values).
pub const MAX_USAGES: usize = 12288;
pub const MAX_REPORT_SIZE_BITS: u32 = 256;
pub const MAX_REPORT_BYTES: u32 = 16384;
pub const MAX_GLOBAL_STACK: usize = 4;
pub const MAX_COLLECTION_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DescriptorError {
    #[error("descriptor ends inside an item at byte {0}")]
    Truncated(usize),
    #[error("unknown item type at byte {0}")]
    ReservedItem(usize),
    #[error("End Collection without Collection at byte {0}")]
    UnbalancedEnd(usize),
    #[error("collection left open at the end of the descriptor")]
    UnclosedCollection,
    #[error("collections nested deeper than {MAX_COLLECTION_DEPTH}")]
    TooDeep,
    #[error("Push beyond {MAX_GLOBAL_STACK} levels or Pop with nothing pushed, at byte {0}")]
    GlobalStack(usize),
    #[error("report ID {0} is invalid (1 to 255)")]
    ReportId(u32),
    #[error("report size {0} bits is invalid (at most {MAX_REPORT_SIZE_BITS})")]
    ReportSize(u32),
    #[error("report count {0} is invalid (at most {MAX_USAGES})")]
    ReportCount(u32),
    #[error("more than {MAX_USAGES} usages before one main item")]
    TooManyUsages,
    #[error("a report grows beyond {MAX_REPORT_BYTES} bytes")]
    ReportTooLong,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ReportKind {
    Input,
    Output,
    Feature,
}

/// The data flags of an Input, Output or Feature item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MainFlags(pub u32);

impl MainFlags {
    pub fn constant(self) -> bool {
        self.0 & 0x01 != 0
    }
    /// A variable (one value per usage) rather than an array (selectors).
    pub fn variable(self) -> bool {
        self.0 & 0x02 != 0
    }
    pub fn relative(self) -> bool {
        self.0 & 0x04 != 0
    }
    /// No preferred state: the control stays where it is put (a switch).
    pub fn no_preferred(self) -> bool {
        self.0 & 0x20 != 0
    }
    pub fn null_state(self) -> bool {
        self.0 & 0x40 != 0
    }
}

/// One Input, Output or Feature item: `count` values of `bit_size` bits each,
/// starting `bit_offset` bits into the report (after the report ID byte).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    pub kind: ReportKind,
    /// 0 when the device uses no report IDs.
    pub report_id: u8,
    pub bit_offset: u32,
    pub bit_size: u32,
    pub count: u32,
    pub flags: MainFlags,
    pub logical_min: i64,
    pub logical_max: i64,
    /// For a variable, value `i` has usage `usages[min(i, len-1)]`; for an array,
    /// a value `v` selects `usages[v - logical_min]`.
    pub usages: Vec<Usage>,
    /// Usages of the collections around the field, outermost first.
    pub collections: Vec<Usage>,
}

impl Field {
    /// The usage of element `i` of a variable field.
    pub fn usage_at(&self, i: usize) -> Option<Usage> {
        self.usages
            .get(i.min(self.usages.len().checked_sub(1)?))
            .copied()
    }

    /// The usage an array value selects, if any (out of range means "none").
    pub fn selected_usage(&self, value: i64) -> Option<Usage> {
        let index = value.checked_sub(self.logical_min)?;
        if value < self.logical_min || value > self.logical_max {
            return None;
        }
        self.usages.get(usize::try_from(index).ok()?).copied()
    }
}

/// A top-level (application) collection and every field inside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Collection {
    pub usage: Usage,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReportDescriptor {
    pub collections: Vec<Collection>,
    pub uses_report_ids: bool,
    /// Every report's length in bits (padding included, report ID byte not).
    pub report_bits: Vec<(ReportKind, u8, u32)>,
}

impl ReportDescriptor {
    pub fn fields(&self) -> impl Iterator<Item = (&Collection, &Field)> {
        self.collections
            .iter()
            .flat_map(|c| c.fields.iter().map(move |f| (c, f)))
    }

    /// Length in bytes of a report, the report ID byte included when IDs are used;
    /// 0 for a report the device does not have.
    pub fn report_len(&self, kind: ReportKind, report_id: u8) -> usize {
        self.report_bits
            .iter()
            .find(|(k, id, _)| *k == kind && *id == report_id)
            .map(|(_, _, bits)| (*bits as usize).div_ceil(8) + usize::from(self.uses_report_ids))
            .unwrap_or(0)
    }
}
