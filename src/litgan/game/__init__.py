"""The game's math, free of Lightning: each game's losses, value and optimum (`games`), D's
regularisers (`penalties`) and the augmentation D's inputs get (`augment`)."""
