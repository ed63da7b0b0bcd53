/** The policies.yaml written on first start: the example policies of the README. */
export const DEFAULT_POLICIES = `# Agent OTP policies. Rules are tried from the highest priority down (ties in file order);
# the first match decides: auto_approve, require_approval or deny. No match means deny.
# Edits are picked up while the server runs; an invalid edit is refused and the previous
# policy stays in force. Check a file with: npx agent-otp policy check <file>

# Auto-approve small file reads
- name: "Auto-approve file reads"
  conditions:
    action: { equals: "file.read" }
    scope.size_limit: { lessThan: 1048576 }
  action: auto_approve
  scopeTemplate:
    max_size: 1048576
    allowed_extensions: [".txt", ".md", ".json"]

# Require approval for financial operations. Strict: a use must pass every detail the
# granted scope constrains (e.g. the amount under max_amount), or it is refused.
- name: "Financial operations require approval"
  conditions:
    action: { startsWith: "bank." }
  action: require_approval
  priority: 100
  enforcement: strict

# Auto-approve internal emails: one email to one @mycompany.com address. The condition only
# reads what the agent says (context.recipient), so the same anchored pattern is bound into the
# granted scope and checked when the token is used; strict, so a use that does not name its
# recipient (actionDetails.recipient) is refused.
- name: "Auto-approve internal emails"
  conditions:
    action: { equals: "gmail.send" }
    context.recipient: { matches: "^[A-Za-z0-9._%+-]+@mycompany\\\\.com$" }
  action: auto_approve
  enforcement: strict
  scopeTemplate:
    recipient_pattern: "^[A-Za-z0-9._%+-]+@mycompany\\\\.com$"
    max_emails: 1

# Default deny
- name: "Default deny"
  conditions: {}
  action: deny
  priority: -1000
`;
