//! The item-by-item parser behind [`parse`].

use std::collections::BTreeMap;

use super::{
    Collection, DescriptorError, Field, MAX_COLLECTION_DEPTH, MAX_GLOBAL_STACK, MAX_REPORT_BYTES,
    MAX_REPORT_SIZE_BITS, MAX_USAGES, MainFlags, ReportDescriptor, ReportKind,
};
use crate::usage::Usage;

/// Global items: they persist until changed, and Push/Pop save and restore them.
#[derive(Debug, Clone, Default)]
struct Globals {
    usage_page: u16,
    logical_min: i64,
    logical_max: i64,
    report_size: u32,
    report_count: u32,
    report_id: u8,
}

/// A usage as declared: its full 32-bit value and whether it was given with its
/// page (a 4-byte "extended" usage, which page concatenation leaves alone).
#[derive(Debug, Clone, Copy)]
struct LocalUsage {
    value: u32,
    extended: bool,
}

#[derive(Debug, Default)]
struct Locals {
    usages: Vec<LocalUsage>,
    usage_min: Option<LocalUsage>,
}

struct Parser {
    globals: Globals,
    stack: Vec<Globals>,
    locals: Locals,
    /// Open collections: usage of each, outermost first.
    open: Vec<Usage>,
    collections: Vec<Collection>,
    /// Index in `collections` of the top-level collection being filled.
    current_top: Option<usize>,
    report_bits: BTreeMap<(ReportKind, u8), u32>,
    uses_report_ids: bool,
}

fn udata(data: &[u8]) -> u32 {
    data.iter()
        .rev()
        .fold(0u32, |acc, &b| (acc << 8) | u32::from(b))
}

fn sdata(data: &[u8]) -> i64 {
    match data.len() {
        1 => i64::from(data[0] as i8),
        2 => i64::from(i16::from_le_bytes([data[0], data[1]])),
        4 => i64::from(i32::from_le_bytes([data[0], data[1], data[2], data[3]])),
        _ => 0,
    }
}

/// Parses a report descriptor. Never panics; any inconsistency is an error.
pub fn parse(bytes: &[u8]) -> Result<ReportDescriptor, DescriptorError> {
    let mut p = Parser {
        globals: Globals::default(),
        stack: Vec::new(),
        locals: Locals::default(),
        open: Vec::new(),
        collections: Vec::new(),
        current_top: None,
        report_bits: BTreeMap::new(),
        uses_report_ids: false,
    };
    let mut i = 0;
    while i < bytes.len() {
        let prefix = bytes[i];
        if prefix == 0xFE {
            // Long item: size byte, tag byte, data. Nothing defines one; skip it.
            let size = usize::from(*bytes.get(i + 1).ok_or(DescriptorError::Truncated(i))?);
            let end = i + 3 + size;
            if end > bytes.len() {
                return Err(DescriptorError::Truncated(i));
            }
            i = end;
            continue;
        }
        let size = match prefix & 0x03 {
            3 => 4,
            n => usize::from(n),
        };
        let data = bytes
            .get(i + 1..i + 1 + size)
            .ok_or(DescriptorError::Truncated(i))?;
        let (kind, tag) = ((prefix >> 2) & 0x03, prefix >> 4);
        match kind {
            0 => p.main(tag, data, i)?,
            1 => p.global(tag, data, i)?,
            2 => p.local(tag, data)?,
            _ => return Err(DescriptorError::ReservedItem(i)),
        }
        i += 1 + size;
    }
    if !p.open.is_empty() {
        return Err(DescriptorError::UnclosedCollection);
    }
    Ok(ReportDescriptor {
        collections: p.collections,
        uses_report_ids: p.uses_report_ids,
        report_bits: p
            .report_bits
            .into_iter()
            .map(|((k, id), bits)| (k, id, bits))
            .collect(),
    })
}

impl Parser {
    fn global(&mut self, tag: u8, data: &[u8], at: usize) -> Result<(), DescriptorError> {
        let g = &mut self.globals;
        match tag {
            0x0 => g.usage_page = udata(data) as u16,
            0x1 => g.logical_min = sdata(data),
            // Linux: the maximum is signed only when the minimum is negative.
            0x2 => {
                g.logical_max = if g.logical_min < 0 {
                    sdata(data)
                } else {
                    i64::from(udata(data))
                }
            }
            0x7 => {
                let bits = udata(data);
                if bits > MAX_REPORT_SIZE_BITS {
                    return Err(DescriptorError::ReportSize(bits));
                }
                g.report_size = bits;
            }
            0x8 => {
                let id = udata(data);
                if id == 0 || id > 255 {
                    return Err(DescriptorError::ReportId(id));
                }
                g.report_id = id as u8;
                self.uses_report_ids = true;
            }
            0x9 => {
                let count = udata(data);
                if count as usize > MAX_USAGES {
                    return Err(DescriptorError::ReportCount(count));
                }
                g.report_count = count;
            }
            0xA => {
                if self.stack.len() >= MAX_GLOBAL_STACK {
                    return Err(DescriptorError::GlobalStack(at));
                }
                self.stack.push(self.globals.clone());
            }
            0xB => self.globals = self.stack.pop().ok_or(DescriptorError::GlobalStack(at))?,
            // Physical extent, unit, unit exponent: not needed for telephony.
            _ => {}
        }
        Ok(())
    }

    fn push_usage(&mut self, u: LocalUsage) -> Result<(), DescriptorError> {
        if self.locals.usages.len() >= MAX_USAGES {
            return Err(DescriptorError::TooManyUsages);
        }
        self.locals.usages.push(u);
        Ok(())
    }

    /// A usage gets the current page when declared (Linux `complete_usage`).
    fn declared(&self, data: &[u8]) -> LocalUsage {
        if data.len() == 4 {
            LocalUsage {
                value: udata(data),
                extended: true,
            }
        } else {
            LocalUsage {
                value: (u32::from(self.globals.usage_page) << 16) | (udata(data) & 0xFFFF),
                extended: false,
            }
        }
    }

    fn local(&mut self, tag: u8, data: &[u8]) -> Result<(), DescriptorError> {
        match tag {
            0x0 => {
                let u = self.declared(data);
                self.push_usage(u)?;
            }
            0x1 => self.locals.usage_min = Some(self.declared(data)),
            0x2 => {
                let max = self.declared(data);
                if let Some(min) = self.locals.usage_min {
                    let (lo, hi) = (min.value & 0xFFFF, max.value & 0xFFFF);
                    if hi >= lo && (hi - lo) as usize >= MAX_USAGES - self.locals.usages.len() {
                        return Err(DescriptorError::TooManyUsages);
                    }
                    let page = min.value & 0xFFFF_0000;
                    for id in lo..=hi {
                        self.push_usage(LocalUsage {
                            value: page | id,
                            extended: min.extended,
                        })?;
                    }
                }
            }
            // Designators, strings, delimiters: not needed for telephony.
            _ => {}
        }
        Ok(())
    }

    /// Linux `hid_concatenate_last_usage_page`: usages declared before the last
    /// Usage Page item take that page, back to the first one already on it.
    fn concatenate_last_usage_page(&mut self) {
        let page = u32::from(self.globals.usage_page);
        for u in self.locals.usages.iter_mut().rev() {
            if u.extended {
                continue;
            }
            if u.value >> 16 == page {
                break;
            }
            u.value = (page << 16) | (u.value & 0xFFFF);
        }
    }

    fn main(&mut self, tag: u8, data: &[u8], at: usize) -> Result<(), DescriptorError> {
        self.concatenate_last_usage_page();
        let result = match tag {
            0x8 => self.field(ReportKind::Input, data),
            0x9 => self.field(ReportKind::Output, data),
            0xB => self.field(ReportKind::Feature, data),
            0xA => self.open_collection(),
            0xC => {
                if self.open.pop().is_none() {
                    return Err(DescriptorError::UnbalancedEnd(at));
                }
                if self.open.is_empty() {
                    self.current_top = None;
                }
                Ok(())
            }
            _ => Ok(()),
        };
        self.locals = Locals::default();
        result
    }

    fn open_collection(&mut self) -> Result<(), DescriptorError> {
        if self.open.len() >= MAX_COLLECTION_DEPTH {
            return Err(DescriptorError::TooDeep);
        }
        let usage = self
            .locals
            .usages
            .first()
            .map(|u| Usage::from_u32(u.value))
            .unwrap_or(Usage::new(0, 0));
        if self.open.is_empty() {
            // Every outermost collection starts a top-level one (usually Application).
            self.collections.push(Collection {
                usage,
                fields: Vec::new(),
            });
            self.current_top = Some(self.collections.len() - 1);
        }
        self.open.push(usage);
        Ok(())
    }

    fn field(&mut self, kind: ReportKind, data: &[u8]) -> Result<(), DescriptorError> {
        let g = &self.globals;
        let bits = self.report_bits.entry((kind, g.report_id)).or_insert(0);
        let offset = *bits;
        *bits = bits.saturating_add(g.report_size.saturating_mul(g.report_count));
        if *bits > MAX_REPORT_BYTES * 8 {
            return Err(DescriptorError::ReportTooLong);
        }
        // Fields without usages are padding: they only take up bits.
        if self.locals.usages.is_empty() || g.report_count == 0 || g.report_size == 0 {
            return Ok(());
        }
        let field = Field {
            kind,
            report_id: g.report_id,
            bit_offset: offset,
            bit_size: g.report_size,
            count: g.report_count,
            flags: MainFlags(udata(data)),
            logical_min: g.logical_min,
            logical_max: g.logical_max,
            usages: self
                .locals
                .usages
                .iter()
                .map(|u| Usage::from_u32(u.value))
                .collect(),
            collections: self.open.clone(),
        };
        let top = match self.current_top {
            Some(t) => t,
            None => {
                // A field outside any collection: keep it under an unnamed one.
                self.collections.push(Collection {
                    usage: Usage::new(0, 0),
                    fields: Vec::new(),
                });
                self.collections.len() - 1
            }
        };
        self.collections[top].fields.push(field);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_page_after_usage_applies_to_it() {
        // Usage Page Telephony, Collection(Headset), Usage 0x07, Usage Page Button,
        // Report Size 1, Count 1, Input(Data,Var,Abs), End.
        let d = [
            0x05, 0x0B, 0x09, 0x05, 0xA1, 0x01, 0x09, 0x07, 0x05, 0x09, 0x75, 0x01, 0x95, 0x01,
            0x81, 0x02, 0xC0,
        ];
        let r = parse(&d).unwrap();
        assert_eq!(r.collections[0].usage, Usage::telephony(0x05));
        assert_eq!(r.collections[0].fields[0].usages, [Usage::new(0x09, 7)]);
    }

    #[test]
    fn push_pop_report_ids_and_padding() {
        let d = [
            0x05, 0x0B, 0x09, 0x01, 0xA1, 0x01, // Telephony Phone, Application
            0x85, 0x03, 0x75, 0x01, 0x95, 0x03, 0x81, 0x01, // report 3: 3 bits of padding
            0xA4, 0x75, 0x04, 0x09, 0x20, 0x81, 0x02, 0xB4, // push, size 4 hook, pop
            0x09, 0x21, 0x95, 0x01, 0x81, 0x06, // size 1 again: flash at bit 7
            0xC0,
        ];
        let r = parse(&d).unwrap();
        let f = &r.collections[0].fields;
        assert_eq!(
            (f[0].report_id, f[0].bit_offset, f[0].bit_size, f[0].count),
            (3, 3, 4, 3)
        );
        assert_eq!((f[1].bit_offset, f[1].bit_size), (15, 1));
        assert!(r.uses_report_ids);
        assert_eq!(r.report_len(ReportKind::Input, 3), 3);
    }

    #[test]
    fn signed_logical_extents() {
        let d = [
            0x05, 0x0C, 0x09, 0x01, 0xA1, 0x01, 0x15, 0xFF, 0x25, 0x01, 0x09, 0xE9, 0x75, 0x02,
            0x95, 0x01, 0x81, 0x06, 0x15, 0x00, 0x26, 0xFF, 0x00, 0x09, 0xEA, 0x75, 0x08, 0x81,
            0x02, 0xC0,
        ];
        let r = parse(&d).unwrap();
        let f = &r.collections[0].fields;
        assert_eq!((f[0].logical_min, f[0].logical_max), (-1, 1));
        assert_eq!((f[1].logical_min, f[1].logical_max), (0, 255));
    }

    #[test]
    fn broken_descriptors_are_errors() {
        assert_eq!(parse(&[0x05]), Err(DescriptorError::Truncated(0)));
        assert_eq!(parse(&[0xC0]), Err(DescriptorError::UnbalancedEnd(0)));
        assert_eq!(
            parse(&[0xA1, 0x01]),
            Err(DescriptorError::UnclosedCollection)
        );
        assert_eq!(parse(&[0xB4]), Err(DescriptorError::GlobalStack(0)));
        assert_eq!(parse(&[0x85, 0x00]), Err(DescriptorError::ReportId(0)));
        assert_eq!(
            parse(&[0x76, 0x00, 0x10]),
            Err(DescriptorError::ReportSize(4096))
        );
        assert_eq!(parse(&[0x0C]), Err(DescriptorError::ReservedItem(0)));
        // Usage Minimum 0, Maximum 0xFFFF: 65536 usages.
        assert_eq!(
            parse(&[0x19, 0x00, 0x2A, 0xFF, 0xFF]),
            Err(DescriptorError::TooManyUsages)
        );
        // A long item is skipped whole.
        assert_eq!(
            parse(&[0xFE, 0x02, 0x10, 0xAA, 0xBB])
                .unwrap()
                .collections
                .len(),
            0
        );
        assert!(parse(&[0xFE, 0x05, 0x10]).is_err());
    }
}
