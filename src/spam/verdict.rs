//! The result of a check: the total score, the symbols that made it, and the headers that
//! report it.

use std::fmt::Write as _;

/// Longest header line written before folding.
const FOLD_AT: usize = 78;

/// One named finding and what it adds to the score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Symbol {
    /// The symbol's name, e.g. `BAYES_SPAM` or `MISSING_MID`.
    pub name: &'static str,
    /// What it adds to the score (negative for ham signs).
    pub score: f64,
}

/// A spam score with the symbols that add up to it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Verdict {
    /// The sum of the symbols' scores.
    pub score: f64,
    /// The symbols, highest score first.
    pub symbols: Vec<Symbol>,
}

impl Verdict {
    /// The `n` symbols that weigh most either way, heaviest first.
    pub fn heaviest(&self, n: usize) -> Vec<&Symbol> {
        let mut symbols: Vec<&Symbol> = self.symbols.iter().collect();
        symbols.sort_by(|a, b| b.score.abs().total_cmp(&a.score.abs()));
        symbols.truncate(n);
        symbols
    }

    /// Builds a verdict from its symbols (sorting them and summing their scores).
    pub fn from_symbols(mut symbols: Vec<Symbol>) -> Self {
        symbols.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.name.cmp(b.name)));
        let score = symbols.iter().map(|s| s.score).sum();
        Self { score, symbols }
    }

    /// Whether the score reaches `threshold`.
    pub fn is_spam(&self, threshold: f64) -> bool {
        self.score >= threshold
    }

    /// `X-Spam-Score`, `X-Spam-Status` and (when any symbol fired) `X-Spam-Symbols` header
    /// lines, each ending in CRLF, long ones folded.
    pub fn headers(&self, junk_threshold: f64) -> String {
        let score = tidy(self.score);
        let status = if self.is_spam(junk_threshold) { "Yes" } else { "No" };
        let mut out = format!("X-Spam-Score: {score:.1}\r\n");
        let _ = write!(out, "X-Spam-Status: {status}, score={score:.1} required={:.1}\r\n", tidy(junk_threshold));
        if !self.symbols.is_empty() {
            let mut line = String::from("X-Spam-Symbols:");
            for (i, symbol) in self.symbols.iter().enumerate() {
                let item = format!(
                    " {}({:.2}){}",
                    symbol.name,
                    tidy(symbol.score),
                    if i + 1 < self.symbols.len() { "," } else { "" }
                );
                if line.len() + item.len() > FOLD_AT && !line.ends_with(':') {
                    out.push_str(&line);
                    out.push_str("\r\n");
                    line = String::from("\t");
                    line.push_str(item.trim_start());
                } else {
                    line.push_str(&item);
                }
            }
            out.push_str(&line);
            out.push_str("\r\n");
        }
        out
    }
}

/// Keeps `-0.0` and non-finite values out of headers.
fn tidy(x: f64) -> f64 {
    if !x.is_finite() || x.abs() < 0.005 { 0.0 } else { x }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_fold_and_report() {
        let verdict = Verdict::from_symbols(vec![
            Symbol { name: "MISSING_MID", score: 1.0 },
            Symbol { name: "BAYES_SPAM", score: 5.5 },
            Symbol { name: "R_SPF_ALLOW", score: -0.2 },
        ]);
        assert!((verdict.score - 6.3).abs() < 1e-9);
        assert_eq!(
            verdict.headers(6.0),
            "X-Spam-Score: 6.3\r\nX-Spam-Status: Yes, score=6.3 required=6.0\r\n\
             X-Spam-Symbols: BAYES_SPAM(5.50), MISSING_MID(1.00), R_SPF_ALLOW(-0.20)\r\n"
        );
        let many = Verdict::from_symbols(vec![Symbol { name: "SOME_LONG_SYMBOL_NAME", score: 0.5 }; 10]);
        let headers = many.headers(6.0);
        assert!(headers.lines().all(|l| l.len() <= FOLD_AT), "{headers}");
        assert!(headers.contains("\r\n\tSOME_LONG_SYMBOL_NAME(0.50),"));
        assert!(headers.ends_with("SOME_LONG_SYMBOL_NAME(0.50)\r\n"));
    }

    #[test]
    fn quiet_verdict() {
        assert_eq!(
            Verdict::default().headers(6.0),
            "X-Spam-Score: 0.0\r\nX-Spam-Status: No, score=0.0 required=6.0\r\n"
        );
    }
}
