//! How good a model's probabilities are: AUC (the chance a random payer scores above a random
//! non-payer, ties counting half), log-loss, and calibration by decile of score.

use serde::{Deserialize, Serialize};

/// Area under the ROC curve from the rank-sum (Mann-Whitney U), with ties given their mean rank.
/// `None` unless both classes are present.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let positives = labels.iter().filter(|l| **l).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 || scores.len() != labels.len() {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        // Ranks i+1 ..= j+1 share their mean.
        let mean_rank = (i + j + 2) as f64 / 2.0;
        rank_sum += mean_rank * order[i..=j].iter().filter(|k| labels[**k]).count() as f64;
        i = j + 1;
    }
    let (p, n) = (positives as f64, negatives as f64);
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

/// Mean negative log-likelihood, probabilities clipped away from 0 and 1.
pub fn log_loss(probabilities: &[f64], labels: &[bool]) -> Option<f64> {
    if probabilities.is_empty() || probabilities.len() != labels.len() {
        return None;
    }
    let eps = 1e-15;
    let sum: f64 = probabilities
        .iter()
        .zip(labels)
        .map(|(p, y)| {
            let p = p.clamp(eps, 1.0 - eps);
            if *y { -p.ln() } else { -(1.0 - p).ln() }
        })
        .sum();
    Some(sum / probabilities.len() as f64)
}

/// One decile of accounts by score: how many, the mean predicted and the share that paid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub decile: u8,
    pub accounts: usize,
    pub predicted: f64,
    pub observed: f64,
}

/// Calibration by decile of predicted probability, lowest first. Deciles are equal counts of
/// accounts (the last takes the remainder); fewer than ten accounts give fewer deciles.
pub fn calibration(probabilities: &[f64], labels: &[bool]) -> Vec<Calibration> {
    let n = probabilities.len().min(labels.len());
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| probabilities[*a].total_cmp(&probabilities[*b]));
    let groups = n.min(10);
    (0..groups)
        .map(|g| {
            let (from, to) = (g * n / groups, (g + 1) * n / groups);
            let part = &order[from..to];
            let count = part.len() as f64;
            Calibration {
                decile: g as u8 + 1,
                accounts: part.len(),
                predicted: part.iter().map(|i| probabilities[*i]).sum::<f64>() / count,
                observed: part.iter().filter(|i| labels[**i]).count() as f64 / count,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_pairs_ranked_right_and_ties_as_half() {
        // Pairs (payer, non-payer): (0.9,0.1) right, (0.9,0.5) right, (0.5,0.1) right, (0.5,0.5) tie.
        assert_eq!(auc(&[0.9, 0.5, 0.5, 0.1], &[true, true, false, false]), Some(3.5 / 4.0));
        assert_eq!(auc(&[0.1, 0.9], &[true, false]), Some(0.0));
        assert_eq!(auc(&[0.3, 0.3, 0.3], &[true, false, true]), Some(0.5));
        assert_eq!(auc(&[0.3, 0.4], &[true, true]), None, "one class: no AUC");
    }

    #[test]
    fn log_loss_is_finite_even_for_certain_wrong_answers() {
        let l = log_loss(&[1.0, 0.0], &[false, true]).unwrap();
        assert!(l.is_finite() && l > 30.0);
        assert!((log_loss(&[0.5, 0.5], &[true, false]).unwrap() - std::f64::consts::LN_2).abs() < 1e-12);
        assert_eq!(log_loss(&[], &[]), None);
    }

    #[test]
    fn calibration_groups_by_score_into_equal_deciles() {
        let p: Vec<f64> = (0..20).map(|i| i as f64 / 20.0).collect();
        let y: Vec<bool> = (0..20).map(|i| i >= 10).collect();
        let c = calibration(&p, &y);
        assert_eq!(c.len(), 10);
        assert_eq!((c[0].accounts, c[0].observed, c[9].observed), (2, 0.0, 1.0));
        assert!((c[0].predicted - 0.025).abs() < 1e-12);
        assert_eq!(calibration(&[0.2, 0.8], &[false, true]).len(), 2);
    }
}
