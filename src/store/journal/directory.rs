//! Changes to the directory: local domains, account passwords and aliases. Each checks what
//! it depends on ("the domain has no accounts", "the alias exists") in the same step as its
//! write, against what is committed and what earlier ops of its group wrote.

use rocksdb::WriteBatch;

use super::staged::Staged;
use super::{Committed, Committer};
use crate::directory::domain_of;
use crate::records::{Alias, encode};
use crate::{StoreError, cf, keys};

/// A directory change, submitted as [`super::JournalOp::Directory`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectoryOp {
    /// Add a local domain; refused when it is one already.
    DomainAdd {
        /// Lower-case domain.
        domain: String,
    },
    /// Remove a local domain; refused while an account is in it.
    DomainDel {
        /// Lower-case domain.
        domain: String,
    },
    /// Replace an account's password hash (the rest of its record stays as it is).
    SetPassword {
        /// Lower-case address.
        address: String,
        /// argon2id PHC string.
        password_hash: String,
    },
    /// Add targets to an alias, creating it if needed; answered with the alias as it then is.
    AliasAdd {
        /// Lower-case address, or `@domain` for a catch-all.
        alias: String,
        /// Where mail for it goes; those it has already are skipped.
        targets: Vec<String>,
    },
    /// Delete an alias.
    AliasDel {
        /// Lower-case address, or `@domain` for a catch-all.
        alias: String,
    },
    /// Set (or with `None` remove) an account's storage quota in octets.
    SetQuota {
        /// Lower-case address of the account.
        address: String,
        /// The limit.
        bytes: Option<u64>,
    },
    /// Let an account send as another address or a whole domain, or as anyone; answered with
    /// the account as it then is.
    Grant {
        /// Lower-case address of the account.
        address: String,
        /// What it may send as.
        grant: SendAs,
    },
    /// Take such a permission back; answered with the account as it then is.
    Revoke {
        /// Lower-case address of the account.
        address: String,
        /// What it may no longer send as.
        grant: SendAs,
    },
}

/// What an account may send as, besides its own addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendAs {
    /// One address (`user@domain`) or every address of a domain (`@domain`), lower case.
    Address(String),
    /// Any address at all (a mailing-list robot, an application).
    Anyone,
}

impl Committer {
    /// Adds one directory change to the batch; on error it adds nothing.
    pub(super) fn directory_op(
        &mut self,
        batch: &mut WriteBatch,
        staged: &mut Staged,
        op: &DirectoryOp,
    ) -> Result<Committed, StoreError> {
        match op {
            DirectoryOp::DomainAdd { domain } => {
                let key = keys::domain(domain);
                if self.staged_value(staged, cf::DOMAIN, key)?.is_some() {
                    return Err(StoreError::Exists(format!("domain {domain}")));
                }
                self.put(batch, staged, cf::DOMAIN, key.to_vec(), Vec::new());
            }
            DirectoryOp::DomainDel { domain } => {
                let key = keys::domain(domain);
                if self.staged_value(staged, cf::DOMAIN, key)?.is_none() {
                    return Err(StoreError::NotFound(format!("domain {domain}")));
                }
                if let Some(user) = self.accounts_in(staged, domain)?.first() {
                    return Err(StoreError::Refused(format!("domain {domain} still has account {user}")));
                }
                self.delete(batch, staged, cf::DOMAIN, key.to_vec());
            }
            DirectoryOp::SetPassword { address, password_hash } => {
                let mut record = self.staged_account(staged, address)?;
                record.password_hash = password_hash.clone();
                self.put_account(batch, staged, address, &record);
            }
            DirectoryOp::AliasAdd { alias, targets } => {
                let key = keys::alias(alias);
                let mut record =
                    self.staged_record(staged, cf::ALIAS, key)?.unwrap_or_else(|| Alias { targets: Vec::new() });
                for target in targets {
                    if !record.targets.contains(target) {
                        record.targets.push(target.clone());
                    }
                }
                self.put(batch, staged, cf::ALIAS, key.to_vec(), encode(&record));
                return Ok(Committed::Alias(record));
            }
            DirectoryOp::AliasDel { alias } => {
                let key = keys::alias(alias);
                if self.staged_value(staged, cf::ALIAS, key)?.is_none() {
                    return Err(StoreError::NotFound(format!("alias {alias}")));
                }
                self.delete(batch, staged, cf::ALIAS, key.to_vec());
            }
            DirectoryOp::SetQuota { address, bytes } => {
                self.staged_account(staged, address)?;
                let key = keys::account(address).to_vec();
                match bytes {
                    Some(bytes) => self.put(batch, staged, cf::QUOTA, key, bytes.to_le_bytes().to_vec()),
                    None => self.delete(batch, staged, cf::QUOTA, key),
                }
            }
            DirectoryOp::Grant { address, grant } | DirectoryOp::Revoke { address, grant } => {
                let give = matches!(op, DirectoryOp::Grant { .. });
                let mut record = self.staged_account(staged, address)?;
                match grant {
                    SendAs::Anyone => record.send_as_anyone = give,
                    SendAs::Address(other) if give => {
                        if !record.send_as.contains(other) {
                            record.send_as.push(other.clone());
                        }
                    }
                    SendAs::Address(other) => {
                        if !record.send_as.contains(other) {
                            return Err(StoreError::NotFound(format!("grant of {other} to {address}")));
                        }
                        record.send_as.retain(|g| g != other);
                    }
                }
                self.put_account(batch, staged, address, &record);
                return Ok(Committed::Account(record));
            }
        }
        Ok(Committed::Done)
    }

    /// The accounts in `domain` as this group leaves them, sorted.
    fn accounts_in(&self, staged: &Staged, domain: &str) -> Result<Vec<String>, StoreError> {
        let mut found: Vec<String> = self.store.accounts()?.into_iter().filter(|a| domain_of(a) == domain).collect();
        for (key, value) in staged.written(cf::ACCOUNT) {
            let address = keys::name_of(key);
            if domain_of(&address) == domain {
                found.retain(|a| *a != address);
                if value.is_some() {
                    found.push(address);
                }
            }
        }
        found.sort();
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{commit_queued, create, temp_store};
    use super::super::{Journal, JournalOp, MailboxOp};
    use super::*;

    fn op(op: DirectoryOp) -> JournalOp {
        JournalOp::Directory(op)
    }

    fn domain_add(domain: &str) -> JournalOp {
        op(DirectoryOp::DomainAdd { domain: domain.into() })
    }

    fn domain_del(domain: &str) -> JournalOp {
        op(DirectoryOp::DomainDel { domain: domain.into() })
    }

    fn account(address: &str) -> JournalOp {
        JournalOp::CreateAccount { address: address.into(), password_hash: "x".into(), send_as_anyone: false }
    }

    #[test]
    fn domains_are_added_once_and_removed_only_without_accounts() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        h.submit_blocking(domain_add("example.com")).unwrap();
        assert!(matches!(h.submit_blocking(domain_add("example.com")), Err(StoreError::Exists(_))));
        assert!(store.is_domain("example.com").unwrap());
        create(&h, "bob@example.com");
        create(&h, "eve@example.community");
        let refused = h.submit_blocking(domain_del("example.com")).unwrap_err();
        assert_eq!(refused.to_string(), "domain example.com still has account bob@example.com");
        h.submit_blocking(JournalOp::DeleteAccount { address: "bob@example.com".into() }).unwrap();
        h.submit_blocking(domain_del("example.com")).unwrap();
        assert!(matches!(h.submit_blocking(domain_del("example.com")), Err(StoreError::NotFound(_))));
        assert_eq!(store.domains().unwrap(), Vec::<String>::new());
        journal.stop();
    }

    #[test]
    fn checks_see_what_earlier_ops_of_the_same_group_wrote() {
        let (_dir, store) = temp_store();
        let answers = commit_queued(
            &store,
            vec![
                domain_add("example.com"),
                domain_add("example.com"),
                account("bob@example.com"),
                account("bob@example.com"),
                domain_del("example.com"),
                op(DirectoryOp::AliasAdd { alias: "team@example.com".into(), targets: vec!["bob@example.com".into()] }),
                op(DirectoryOp::AliasDel { alias: "team@example.com".into() }),
                op(DirectoryOp::AliasDel { alias: "team@example.com".into() }),
                op(DirectoryOp::SetPassword { address: "bob@example.com".into(), password_hash: "new".into() }),
            ],
        );
        let kinds: Vec<String> = answers
            .iter()
            .map(|a| match a {
                Ok(_) => "ok".to_string(),
                Err(e) => format!("{e:?}").split('(').next().unwrap().to_string(),
            })
            .collect();
        assert_eq!(kinds, ["ok", "Exists", "ok", "Exists", "Refused", "ok", "ok", "NotFound", "ok"]);
        assert!(store.is_domain("example.com").unwrap());
        assert!(store.alias("team@example.com").unwrap().is_none());
        assert_eq!(store.account("bob@example.com").unwrap().unwrap().password_hash, "new");
    }

    #[test]
    fn aliases_gather_targets_once_and_can_be_deleted() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        let add = |targets: &[&str]| {
            let targets = targets.iter().map(|t| t.to_string()).collect();
            h.submit_blocking(op(DirectoryOp::AliasAdd { alias: "@example.com".into(), targets })).unwrap()
        };
        add(&["bob@example.com"]);
        let saved = add(&["eve@example.com", "bob@example.com"]);
        let expected = Alias { targets: vec!["bob@example.com".into(), "eve@example.com".into()] };
        assert_eq!(saved, Committed::Alias(expected.clone()));
        assert_eq!(store.aliases().unwrap(), vec![("@example.com".to_string(), expected)]);
        h.submit_blocking(op(DirectoryOp::AliasDel { alias: "@example.com".into() })).unwrap();
        let gone = h.submit_blocking(op(DirectoryOp::AliasDel { alias: "@example.com".into() }));
        assert!(matches!(gone, Err(StoreError::NotFound(_))));
        assert!(store.aliases().unwrap().is_empty());
        journal.stop();
    }

    #[test]
    fn a_password_change_and_mailbox_creations_racing_both_survive() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        create(&journal.handle(), "bob@x");
        const ROUNDS: u32 = 200;
        let h = journal.handle();
        let passwords = std::thread::spawn(move || {
            for i in 0..ROUNDS {
                let change = DirectoryOp::SetPassword { address: "bob@x".into(), password_hash: format!("hash {i}") };
                h.submit_blocking(op(change)).unwrap();
            }
        });
        let h = journal.handle();
        let creations = std::thread::spawn(move || {
            for i in 0..ROUNDS {
                let create = MailboxOp::Create { account: "bob@x".into(), name: format!("Box {i}") };
                h.submit_blocking(JournalOp::Mailbox(create)).unwrap();
            }
        });
        passwords.join().unwrap();
        creations.join().unwrap();
        let record = store.account("bob@x").unwrap().unwrap();
        assert_eq!(record.password_hash, format!("hash {}", ROUNDS - 1), "the last password change stands");
        let defaults = crate::journal::DEFAULT_MAILBOXES.len() as u32;
        assert_eq!(record.next_mailbox_id, defaults + 1 + ROUNDS, "every CREATE counted its id");
        let mut ids: Vec<u32> = (0..ROUNDS)
            .map(|i| store.mailbox_meta("bob@x", &format!("Box {i}")).unwrap().expect("created").id)
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), ROUNDS as usize, "no id was handed out twice");
        journal.stop();
    }

    #[test]
    fn a_password_change_needs_the_account() {
        let (_dir, store) = temp_store();
        let answers = commit_queued(
            &store,
            vec![op(DirectoryOp::SetPassword { address: "nobody@x".into(), password_hash: "h".into() })],
        );
        assert!(matches!(answers[0], Err(StoreError::NotFound(_))));
        assert!(store.account("nobody@x").unwrap().is_none());
    }

    #[test]
    fn grants_are_added_revoked_and_kept_with_the_account() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        create(&h, "bob@example.com");
        let grant = |other: &str| DirectoryOp::Grant {
            address: "bob@example.com".into(),
            grant: SendAs::Address(other.into()),
        };
        h.submit_blocking(op(grant("boss@example.com"))).unwrap();
        h.submit_blocking(op(grant("@news.example"))).unwrap();
        h.submit_blocking(op(grant("boss@example.com"))).unwrap();
        let account = store.account("bob@example.com").unwrap().unwrap();
        assert_eq!(account.send_as, vec!["boss@example.com".to_string(), "@news.example".to_string()]);
        let revoke =
            DirectoryOp::Revoke { address: "bob@example.com".into(), grant: SendAs::Address("@news.example".into()) };
        h.submit_blocking(op(revoke.clone())).unwrap();
        assert!(matches!(h.submit_blocking(op(revoke)), Err(StoreError::NotFound(_))), "nothing left to revoke");
        let anyone = DirectoryOp::Grant { address: "bob@example.com".into(), grant: SendAs::Anyone };
        h.submit_blocking(op(anyone)).unwrap();
        let account = store.account("bob@example.com").unwrap().unwrap();
        assert_eq!((account.send_as.len(), account.send_as_anyone), (1, true));
        let nobody = DirectoryOp::Grant { address: "nobody@example.com".into(), grant: SendAs::Anyone };
        assert!(matches!(h.submit_blocking(op(nobody)), Err(StoreError::NotFound(_))));
        journal.stop();
    }

    #[test]
    fn quotas_are_set_counted_against_the_mailboxes_and_removed() {
        let (_dir, store) = temp_store();
        let journal = Journal::start(store.clone());
        let h = journal.handle();
        create(&h, "bob@example.com");
        assert_eq!(store.quota("bob@example.com").unwrap(), None);
        assert_eq!(store.room_for("bob@example.com", u64::MAX).unwrap(), Ok(()), "no limit");
        h.submit_blocking(super::super::testing::delivery(1, &["bob@example.com"], &[], b"0123456789")).unwrap();
        let used = store.usage("bob@example.com").unwrap();
        assert!(used >= 10, "the delivered message counts: {used}");
        let set = |bytes| op(DirectoryOp::SetQuota { address: "bob@example.com".into(), bytes });
        h.submit_blocking(set(Some(used + 5))).unwrap();
        assert_eq!(store.quota("bob@example.com").unwrap(), Some(used + 5));
        assert_eq!(store.room_for("bob@example.com", 5).unwrap(), Ok(()));
        assert_eq!(store.room_for("bob@example.com", 6).unwrap(), Err((used, used + 5)));
        h.submit_blocking(set(None)).unwrap();
        assert_eq!(store.quota("bob@example.com").unwrap(), None);
        let nobody = DirectoryOp::SetQuota { address: "nobody@example.com".into(), bytes: Some(1) };
        assert!(matches!(h.submit_blocking(op(nobody)), Err(StoreError::NotFound(_))));
        journal.stop();
    }
}
