//! One nft transaction as text, one command a line, the way knftables writes it
//! (`add rule ip kube-proxy CHAIN RULE`, `add element ip kube-proxy SET { KEY : VALUE }`).
//! Pure: the text is what `nft -f -` reads, and what golden files pin.

pub(crate) const TABLE: &str = "kube-proxy";
const PREFIX: &str = " ip kube-proxy ";

/// One element of a named set or map. `key` identifies it (what a delete names); `comment` and
/// `value` only go with an add.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Element {
    pub set: &'static str,
    pub key: String,
    pub comment: Option<String>,
    pub value: Option<String>,
}

/// Counts of what a transaction writes, so an operation can report how many objects it wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    pub rules: u64,
    pub elements: u64,
}

#[derive(Debug, Default)]
pub struct Tx {
    text: String,
    written: Written,
}

impl Tx {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_capacity(bytes: usize) -> Self {
        Self {
            text: String::with_capacity(bytes),
            written: Written::default(),
        }
    }

    fn line(&mut self, verb: &str, object: &str, rest: &[&str]) {
        self.text.push_str(verb);
        self.text.push(' ');
        self.text.push_str(object);
        self.text.push_str(PREFIX);
        for part in rest {
            self.text.push_str(part);
        }
        self.text.push('\n');
    }

    /// `add table ip kube-proxy { comment "rules for kube-proxy" ; }`
    pub fn add_table(&mut self) {
        self.text
            .push_str("add table ip kube-proxy { comment \"rules for kube-proxy\" ; }\n");
    }

    /// `add set|map ip kube-proxy NAME { SPEC }`
    pub fn add_set(&mut self, kind: &str, name: &str, spec: &str) {
        self.line("add", kind, &[name, " { ", spec, " }"]);
    }

    pub fn flush_set(&mut self, kind: &str, name: &str) {
        self.line("flush", kind, &[name]);
    }

    /// `add chain ip kube-proxy NAME [{ SPEC }]`
    pub fn add_chain(&mut self, name: &str, spec: Option<&str>) {
        match spec {
            Some(spec) => self.line("add", "chain", &[name, " { ", spec, " }"]),
            None => self.line("add", "chain", &[name]),
        }
    }

    pub fn flush_chain(&mut self, name: &str) {
        self.line("flush", "chain", &[name]);
    }

    pub fn delete_chain(&mut self, name: &str) {
        self.line("delete", "chain", &[name]);
    }

    /// kube-proxy's `ensureChain`: the chain exists and holds nothing from before.
    pub fn ensure_chain(&mut self, name: &str) {
        self.add_chain(name, None);
        self.flush_chain(name);
    }

    pub fn add_rule(&mut self, chain: &str, rule: &str) {
        self.line("add", "rule", &[chain, " ", rule]);
        self.written.rules += 1;
    }

    pub fn add_element(&mut self, e: &Element) {
        let comment = e.comment.as_deref().map(|c| format!(" comment \"{c}\""));
        let value = e.value.as_deref().map(|v| format!(" : {v}"));
        self.line(
            "add",
            "element",
            &[
                e.set,
                " { ",
                &e.key,
                comment.as_deref().unwrap_or(""),
                value.as_deref().unwrap_or(""),
                " }",
            ],
        );
        self.written.elements += 1;
    }

    pub fn delete_element(&mut self, e: &Element) {
        self.line("delete", "element", &[e.set, " { ", &e.key, " }"]);
        self.written.elements += 1;
    }

    /// `delete table ip kube-proxy`: everything the backend made, in one command.
    pub fn delete_table(&mut self) {
        self.text.push_str("delete table ip kube-proxy\n");
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub fn written(&self) -> Written {
        self.written
    }

    pub fn into_text(self) -> String {
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_knftables_shaped() {
        let mut tx = Tx::new();
        tx.ensure_chain("services");
        tx.add_rule(
            "services",
            "ip daddr . meta l4proto . th dport vmap @service-ips",
        );
        tx.add_element(&Element {
            set: "no-endpoint-services",
            key: "172.30.0.46 . tcp . 80".into(),
            comment: Some("ns6/svc6:p80".into()),
            value: Some("goto reject-chain".into()),
        });
        tx.delete_element(&Element {
            set: "cluster-ips",
            key: "172.30.0.46".into(),
            comment: None,
            value: None,
        });
        assert_eq!(
            tx.written(),
            Written {
                rules: 1,
                elements: 2
            }
        );
        assert_eq!(
            tx.into_text(),
            "add chain ip kube-proxy services\n\
             flush chain ip kube-proxy services\n\
             add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips\n\
             add element ip kube-proxy no-endpoint-services { 172.30.0.46 . tcp . 80 comment \"ns6/svc6:p80\" : goto reject-chain }\n\
             delete element ip kube-proxy cluster-ips { 172.30.0.46 }\n"
        );
    }
}
