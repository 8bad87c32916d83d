//! Turning a restore line (`-A CHAIN ... --comment "a b" ...`) into the argv of one `iptables`
//! command. The restore text is the single source of the layout; the per-rule variant reuses it.

/// Split a restore rule line into arguments, honouring double quotes as iptables-restore does.
pub fn split_rule(line: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut in_word = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                in_word = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    args.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            c => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        args.push(current);
    }
    args
}

/// The same rule as a delete (`-A` → `-D`): iptables deletes the first rule with that spec.
pub fn as_delete(mut args: Vec<String>) -> Vec<String> {
    if let Some(first) = args.first_mut() {
        if first == "-A" {
            *first = "-D".into();
        }
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_comment_is_one_argument() {
        let args = split_rule(
            "-A KUBE-SERVICES -m comment --comment \"ns/a:http cluster IP\" -d 10.96.0.1 -j X",
        );
        assert_eq!(
            args,
            [
                "-A",
                "KUBE-SERVICES",
                "-m",
                "comment",
                "--comment",
                "ns/a:http cluster IP",
                "-d",
                "10.96.0.1",
                "-j",
                "X"
            ]
        );
    }

    #[test]
    fn delete_replaces_only_the_verb() {
        let args = as_delete(split_rule("-A C -j RETURN"));
        assert_eq!(args, ["-D", "C", "-j", "RETURN"]);
    }
}
