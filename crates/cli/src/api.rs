//! `hookswitch api token [--rotate]` and `hookswitch api openapi`.

use hookswitch_api::token::{self, TokenFile};

use crate::cli::ApiCommand;
use crate::exit;

pub fn run(command: &ApiCommand) -> anyhow::Result<u8> {
    match command {
        ApiCommand::Token { rotate } => {
            let file = TokenFile::new(token::default_path());
            let token = if *rotate {
                file.rotate()?
            } else {
                file.read_or_create()?
            };
            say!("{token}");
        }
        ApiCommand::Openapi => say!("{}", hookswitch_api::openapi_document()),
    }
    Ok(exit::OK)
}
