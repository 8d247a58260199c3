//! What a request we send outside a call (SUBSCRIBE, PUBLISH, MESSAGE)
//! keeps of the server's digest challenges: the 401's and the 407's answer
//! to put on the next request, and how many challenges in a row were
//! answered (a third one means the credentials are refused).

use rand::rngs::StdRng;

use super::registration::{ChallengeFailure, push_credentials};
use crate::auth::DigestClient;
use crate::message::{Request, Response};
use crate::ua::AccountConfig;

/// Challenges answered in a row before the credentials count as refused.
const MAX_ROUNDS: u32 = 2;

#[derive(Debug, Clone, Default)]
pub(super) struct Challenged {
    digest: Option<DigestClient>,
    proxy_digest: Option<DigestClient>,
    rounds: u32,
}

impl Challenged {
    /// Whether another challenge may still be answered.
    pub fn can_answer(&self) -> bool {
        self.rounds < MAX_ROUNDS
    }

    /// Takes a 401's or 407's challenge: the request is to go again.
    pub fn answer(&mut self, resp: &Response) -> Result<(), ChallengeFailure> {
        if !self.can_answer() {
            return Err(ChallengeFailure::Refused);
        }
        let client = Some(DigestClient::new(super::calls::pick_challenge(resp)?));
        if resp.status == 407 {
            self.proxy_digest = client;
        } else {
            self.digest = client;
        }
        self.rounds += 1;
        Ok(())
    }

    /// A final answer other than a challenge: the next challenge starts a
    /// new count (the answers are kept for the requests that follow).
    pub fn accepted(&mut self) {
        self.rounds = 0;
    }

    /// Authorization and Proxy-Authorization for `req`, when challenged.
    pub fn authorize(
        &mut self,
        req: &mut Request,
        acct: &AccountConfig,
        uri: &str,
        rng: &mut StdRng,
    ) {
        push_credentials(
            req,
            acct,
            &mut self.digest,
            &mut self.proxy_digest,
            uri,
            rng,
        );
    }
}
