"""A local stand-in for the Zendesk, Mailchimp and SurveyMonkey HTTP APIs.

It serves, on one loopback port, the parts of the three APIs that deskbridge uses, in their wire
format, with their limits and their failures, over a deterministic retail customer base. It shares
no code with `connector/`, so that it checks the connectors instead of echoing them.
"""
