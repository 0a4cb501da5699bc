"""Gene sets, TSSs and the bins around them."""
