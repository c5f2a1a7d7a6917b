"""The newsletter: readers subscribe through the receiver, `homepost newsletter send` mails them each new post.

`addresses` checks, normalises and redacts addresses; `tokens` signs the confirm and unsubscribe
links; `store` keeps subscribers, the confirmation queue and the send outbox in the receiver's
database; `compose` makes the emails; `smtp` talks to the server; `send` is the exactly-once run;
`routes` the receiver's pages; `mailer` the receiver's thread sending confirmations; `csvfiles`
imports and exports subscribers; `faults` the crash tests' kill switch.
"""
