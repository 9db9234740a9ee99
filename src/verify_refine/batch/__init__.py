"""Batch: every role's and user's policies of an account refined, proved and certified, in
parallel; paths derived from names encoded and proved inside the output folder."""
