# Order cycles, offers, orders and payments arrive with the order cycle issue.
