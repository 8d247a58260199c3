//! What the routes read: the running engine (actions, the published state,
//! events), the records (history, messages), the address book, and the
//! accounts as configured.

use std::sync::Arc;

use hookswitch_phone::config::AccountSettings;
use hookswitch_phone::directory::Directory;
use hookswitch_phone::records::Records;
use hookswitch_phone::state::RegistrationView;
use hookswitch_phone::{Action, Engine, Reply};
use serde::Serialize;

use crate::error::ApiError;

#[derive(Clone)]
pub struct ApiContext {
    pub engine: Engine,
    pub records: Arc<Records>,
    /// None: the store could not be opened (no contacts search).
    pub directory: Option<Arc<Directory>>,
    pub accounts: Arc<Vec<AccountSettings>>,
}

impl ApiContext {
    pub async fn act(&self, action: Action) -> Result<Reply, ApiError> {
        Ok(self.engine.act(action).await?)
    }
}

/// An account as configured, with where its registration stands.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AccountView {
    pub name: String,
    /// Its address of record.
    pub aor: String,
    pub display_name: Option<String>,
    /// Calls to bare numbers go from it when no account is named.
    pub default: bool,
    /// It registers (else it only places calls).
    pub register: bool,
    /// None: it does not register (or has not started to).
    pub registration: Option<RegistrationView>,
}
