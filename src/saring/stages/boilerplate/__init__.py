"""Stage ``boilerplate``: strip in-article boilerplate lines ("Baca Juga", "Advertisement", share and
follow lines, photo credits) using per-language rules in ``languages/<code>/boilerplate.yaml``."""
