//! `[directory]` in the configuration: how numbers are read, and (later in
//! this file) the CardDAV books and the LDAP server searched.

use serde::{Deserialize, Serialize};

use hookswitch_directory::NumberPlan;
use hookswitch_directory::number::NumberPlanError;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DirectorySettings {
    /// Where numbers written without a country code are (ISO 3166, `DE`):
    /// `030 5550777` is then `+49305550777` and finds the contact saved
    /// as `+49 30 5550 777`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The national trunk prefix, when not the country's usual one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trunk_prefix: Option<String>,
}

impl DirectorySettings {
    pub fn plan(&self) -> Result<NumberPlan, NumberPlanError> {
        NumberPlan::new(self.country.as_deref(), self.trunk_prefix.as_deref())
    }
}
