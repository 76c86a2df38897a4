"""Food allocation programmes ("caisses alimentaires"): households enrolled by a hub get
a monthly amount from a funder on their balance, spent at that hub only (optionally on
eligible products only), and the funder gets an anonymised report."""
