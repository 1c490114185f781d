"""Tokenomics: transfers with fees, genesis, freezing, balances, history, pools and supply."""
