"""Per-network checks: shapes, ranges, initialisation and the sizes each network supports."""

import pytest
import torch
from torch import nn

from litgan.errors import ConfigError
from litgan.networks import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator


@pytest.mark.parametrize("size", [32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_dcgan_shapes_and_range(size, channels):
    shape = (channels, size, size)
    g, d = DCGANGenerator(shape, nz=100, ngf=8), DCGANDiscriminator(shape, ndf=8)
    images = g(torch.randn(5, 100))
    assert images.shape == (5, *shape)
    assert images.min() >= -1 and images.max() <= 1
    assert d(images).shape == (5,)


def test_dcgan_matches_the_reference_64x64_layout():
    g, d = DCGANGenerator((3, 64, 64)), DCGANDiscriminator((3, 64, 64))
    g_convs = [m for m in g.modules() if isinstance(m, nn.ConvTranspose2d)]
    d_convs = [m for m in d.modules() if isinstance(m, nn.Conv2d)]
    # pytorch/examples/dcgan: 100 -> 512 -> 256 -> 128 -> 64 -> 3 and 3 -> 64 -> ... -> 512 -> 1.
    assert [m.out_channels for m in g_convs] == [512, 256, 128, 64, 3]
    assert [m.out_channels for m in d_convs] == [64, 128, 256, 512, 1]
    assert all(m.bias is None for m in g_convs + d_convs)
    assert not isinstance(list(d.net)[1], nn.BatchNorm2d)  # no BatchNorm on D's input layer
    assert any(isinstance(m, nn.LeakyReLU) and m.negative_slope == 0.2 for m in d.modules())
    assert isinstance(list(g.net)[-1], nn.Tanh)


def test_dcgan_initialisation_statistics():
    g = DCGANGenerator((3, 64, 64))
    convs = [m.weight.detach().flatten() for m in g.modules() if isinstance(m, nn.ConvTranspose2d)]
    bns = [m.weight.detach() for m in g.modules() if isinstance(m, nn.BatchNorm2d)]
    weights, bn_scale = torch.cat(convs), torch.cat(bns)
    assert weights.mean().abs().item() < 1e-3
    assert weights.std().item() == pytest.approx(0.02, rel=0.02)
    assert bn_scale.mean().item() == pytest.approx(1.0, abs=0.01)
    assert bn_scale.std().item() == pytest.approx(0.02, rel=0.2)


@pytest.mark.parametrize("shape", [(1, 48, 48), (3, 32, 64), (2,)])
def test_dcgan_rejects_shapes_it_cannot_produce(shape):
    with pytest.raises(ConfigError, match="dcgan"):
        DCGANGenerator(shape)
    with pytest.raises(ConfigError, match="dcgan"):
        DCGANDiscriminator(shape)


def test_mlp_on_points_is_unbounded_and_on_images_ends_in_tanh():
    points = MLPGenerator((2,), nz=4, hidden=[16])
    assert isinstance(points.out, nn.Identity)
    assert points(torch.randn(7, 4)).shape == (7, 2)
    images = MLPGenerator((1, 8, 8), nz=4, hidden=[16])
    out = images(torch.randn(7, 4) * 100)
    assert out.shape == (7, 1, 8, 8) and out.abs().max() <= 1
    assert MLPDiscriminator((1, 8, 8), hidden=[16])(out).shape == (7,)


def test_mlp_rejects_unknown_activation():
    with pytest.raises(ConfigError, match="activation"):
        MLPGenerator((2,), activation="swishy")


def test_mlp_generator_batch_norm_normalises_every_hidden_layer():
    torch.manual_seed(0)
    gen = MLPGenerator((2,), nz=4, hidden=[16, 8], batch_norm=True)
    norms = [m for m in gen.modules() if isinstance(m, nn.BatchNorm1d)]
    assert [m.num_features for m in norms] == [16, 8]
    # In train mode each hidden unit leaves BatchNorm with zero mean over the batch.
    captured = []
    # A copy: the in-place ReLU after it overwrites BatchNorm's output.
    norms[0].register_forward_hook(lambda module, args, out: captured.append(out.clone()))
    gen(torch.randn(64, 4) * 5 + 3)
    assert torch.allclose(captured[0].mean(0), torch.zeros(16), atol=1e-5)
    # In eval mode it uses running statistics: samples do not depend on the rest of the batch.
    gen.eval()
    z = torch.randn(8, 4)
    assert torch.allclose(gen(z)[:2], gen(z[:2]), atol=1e-6)


def mlp_d(shape, pack):
    return MLPDiscriminator(shape, hidden=[16], pack=pack)


def dcgan_d(shape, pack):
    return DCGANDiscriminator(shape, ndf=8, pack=pack)


@pytest.mark.parametrize("make, shape", [(mlp_d, (2,)), (dcgan_d, (3, 32, 32))])
def test_a_packing_discriminator_judges_consecutive_samples_together(make, shape):
    torch.manual_seed(0)
    d = make(shape, 3).eval()
    x = torch.randn(12, *shape)
    out = d(x)
    assert out.shape == (4,)
    # One pack is the 3 samples side by side along the features: D without packing, built on
    # 3x the features and given the same weights, scores the concatenation the same.
    wide = make((3 * shape[0], *shape[1:]), 1).eval()
    wide.load_state_dict(d.state_dict())
    side_by_side = torch.cat([x[0::3], x[1::3], x[2::3]], dim=1)
    torch.testing.assert_close(wide(side_by_side), out)
    # Changing one sample changes its own pack's score only.
    changed = x.clone()
    changed[4] += 1
    moved = d(changed) != out
    assert moved.tolist() == [False, True, False, False]


def test_a_packing_discriminator_refuses_a_batch_that_does_not_split():
    with pytest.raises(ValueError, match="packs of 4"):
        MLPDiscriminator((2,), hidden=[8], pack=4)(torch.randn(6, 2))
