//! The batches of a run: the data order (one permutation of the training digits per epoch),
//! each sample's sigma ~ p_train (I23), label dropout and noise, all drawn from streams keyed
//! by the seed and the step; and the EDM loss of a batch (I20).

use candle_core::Tensor;

use super::Trainer;
use crate::digits::mnist::{CLASSES, PADDED_SIDE};
use crate::error::Result;
use crate::nn::init::splitmix64;
use crate::nn::precond::candle;
use crate::noise::NoiseStream;
use crate::precond::Preconditioner;

impl Trainer {
    /// Training image `position` of the endless stream: epoch `position / N` visits the images
    /// in a permutation drawn from the seed and the epoch.
    fn image_at(&mut self, position: u64) -> usize {
        let n = self.labels.len() as u64;
        let epoch = position / n;
        if self.epoch.as_ref().is_none_or(|(e, _)| *e != epoch) {
            let mut stream = NoiseStream::new(splitmix64(self.config.seed ^ splitmix64(!epoch)));
            let mut perm: Vec<usize> = (0..self.labels.len()).collect();
            stream.shuffle(&mut perm);
            self.epoch = Some((epoch, perm));
        }
        self.epoch
            .as_ref()
            .map_or(0, |(_, p)| p[(position % n) as usize])
    }

    /// The batch of step `step`: images, noisy images, sigmas, labels (one-hot, zero rows for
    /// dropped labels, or none for an unconditional network).
    fn batch(&mut self, step: u64) -> Result<(Tensor, Tensor, Vec<f64>, Option<Tensor>)> {
        let b = self.config.batch;
        let dim = PADDED_SIDE * PADDED_SIDE;
        let mut index = Vec::with_capacity(b);
        let (mut sigmas, mut noise) = (Vec::with_capacity(b), vec![0f32; b * dim]);
        let mut onehot = vec![0f32; b * CLASSES];
        let mut buf = vec![0f64; dim];
        for i in 0..b {
            let k = self.image_at(step * b as u64 + i as u64);
            index.push(k as u32);
            let key = splitmix64(splitmix64(self.config.seed ^ splitmix64(step)) ^ i as u64);
            let mut stream = NoiseStream::new(key);
            let sigma = self.levels.sample(&mut stream);
            let keep = stream.uniform() >= self.config.label_dropout;
            stream.fill_normal(&mut buf);
            for (o, z) in noise[i * dim..(i + 1) * dim].iter_mut().zip(&buf) {
                *o = (z * sigma) as f32;
            }
            if keep {
                onehot[i * CLASSES + usize::from(self.labels[k])] = 1.0;
            }
            sigmas.push(sigma);
        }
        let dev = self.images.device().clone();
        let labelled = self.config.model.network.label_dim > 0;
        candle(
            "assembling a batch",
            (|| {
                let idx = Tensor::from_vec(index, b, &dev)?;
                let y = self.images.index_select(&idx, 0)?;
                let n = Tensor::from_vec(noise, (b, 1, PADDED_SIDE, PADDED_SIDE), &dev)?;
                let labels = labelled
                    .then(|| Tensor::from_vec(onehot, (b, CLASSES), &dev))
                    .transpose()?;
                Ok((y.clone(), (y + n)?, sigmas, labels))
            })(),
        )
    }

    /// The EDM loss (I20) of step `step`'s batch under the current weights.
    pub(super) fn loss(&mut self, step: u64) -> Result<Tensor> {
        let (y, x, sigmas, labels) = self.batch(step)?;
        let d = self
            .model
            .denoise_each(&x, &sigmas, labels.as_ref(), true)?;
        let weights: Vec<f32> = sigmas
            .iter()
            .map(|&s| self.model.precond().loss_weight(s) as f32)
            .collect();
        let b = sigmas.len();
        candle(
            "loss",
            (|| {
                let w = Tensor::from_vec(weights, (b, 1, 1, 1), y.device())?;
                (d - &y)?.sqr()?.broadcast_mul(&w)?.mean_all()
            })(),
        )
    }
}
