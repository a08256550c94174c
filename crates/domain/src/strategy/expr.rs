//! The condition language of segments and steps, e.g.
//! `days_past_due between 31 and 90 and balance >= 250.00 and not ("cease" in flags)`.
//!
//! Grammar (lowest precedence first):
//! ```text
//! or    := and ("or" and)*
//! and   := unary ("and" unary)*
//! unary := "not" unary | "(" or ")" | test
//! test  := FIELD                                  a true-or-false field
//!        | FIELD ("=" | "!=" | "<" | "<=" | ">" | ">=") (VALUE | FIELD)
//!        | FIELD "between" VALUE "and" VALUE      inclusive
//!        | FIELD ["not"] "in" "[" VALUE ("," VALUE)* "]"
//!        | FIELD "is" ["not"] "known"
//!        | STRING "in" "flags"
//! VALUE := 123 | 500.00 | 2026-01-31 | "text" | 'text' | true | false
//! ```
//! Conditions are checked when the strategy is saved: names must be fields, and both sides of a
//! comparison must have the same type (a plain number stands for money beside a money field).
//! A test on an unknown value (no delinquency date, no score) is false.

use super::facts::{Facts, Field, Type, Value};
use crate::account::Flag;
use jiff::civil::Date;
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// A refusal, at a character offset within the condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub offset: usize,
    pub message: String,
}

fn err<T>(offset: usize, message: impl Into<String>) -> Result<T, ExprError> {
    Err(ExprError { offset, message: message.into() })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    fn holds(self, o: Ordering) -> bool {
        match self {
            CmpOp::Eq => o == Ordering::Equal,
            CmpOp::Ne => o != Ordering::Equal,
            CmpOp::Lt => o == Ordering::Less,
            CmpOp::Le => o != Ordering::Greater,
            CmpOp::Gt => o == Ordering::Greater,
            CmpOp::Ge => o != Ordering::Less,
        }
    }

    fn ordering_only(self) -> bool {
        !matches!(self, CmpOp::Eq | CmpOp::Ne)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Value(Value),
    Field(Field),
}

/// A checked condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Truthy(Field),
    Compare(Field, CmpOp, Operand),
    Between(Field, Value, Value),
    In(Field, Vec<Value>),
    Known(Field),
    HasFlag(Flag),
}

impl Expr {
    pub fn eval(&self, f: &Facts) -> bool {
        match self {
            Expr::And(a, b) => a.eval(f) && b.eval(f),
            Expr::Or(a, b) => a.eval(f) || b.eval(f),
            Expr::Not(a) => !a.eval(f),
            Expr::Truthy(field) => f.get(*field) == Some(Value::Bool(true)),
            Expr::Compare(field, op, rhs) => {
                let rhs = match rhs {
                    Operand::Value(v) => Some(v.clone()),
                    Operand::Field(other) => f.get(*other),
                };
                match (f.get(*field), rhs) {
                    (Some(l), Some(r)) => order(&l, &r).is_some_and(|o| op.holds(o)),
                    _ => false,
                }
            }
            Expr::Between(field, lo, hi) => f.get(*field).is_some_and(|v| {
                order(&v, lo).is_some_and(|o| o != Ordering::Less) && order(&v, hi).is_some_and(|o| o != Ordering::Greater)
            }),
            Expr::In(field, list) => f.get(*field).is_some_and(|v| list.iter().any(|x| order(&v, x) == Some(Ordering::Equal))),
            Expr::Known(field) => f.get(*field).is_some(),
            Expr::HasFlag(flag) => f.has_flag(*flag),
        }
    }
}

fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => Some(x.cmp(y)),
        (Value::Money(x), Value::Money(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Text(x), Value::Text(y)) => Some(x.to_lowercase().cmp(&y.to_lowercase())),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Num(String),
    Date(Date),
    Op(CmpOp),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
}

fn lex(src: &str) -> Result<Vec<(usize, Tok)>, ExprError> {
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        let next = chars.get(i + 1).map(|(_, c)| *c);
        let single = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            '[' => Some(Tok::LBracket),
            ']' => Some(Tok::RBracket),
            ',' => Some(Tok::Comma),
            '=' => Some(Tok::Op(CmpOp::Eq)),
            _ => None,
        };
        if c.is_whitespace() {
            i += 1;
        } else if let Some(t) = single {
            out.push((at, t));
            i += if c == '=' && next == Some('=') { 2 } else { 1 };
        } else if matches!(c, '<' | '>' | '!') {
            let (op, len) = match (c, next) {
                ('<', Some('=')) => (CmpOp::Le, 2),
                ('>', Some('=')) => (CmpOp::Ge, 2),
                ('!', Some('=')) => (CmpOp::Ne, 2),
                ('<', Some('>')) => (CmpOp::Ne, 2),
                ('<', _) => (CmpOp::Lt, 1),
                ('>', _) => (CmpOp::Gt, 1),
                _ => return err(at, "'!' must be followed by '=' (use `not` to negate)"),
            };
            out.push((at, Tok::Op(op)));
            i += len;
        } else if c == '"' || c == '\'' {
            let end = chars[i + 1..].iter().position(|(_, d)| *d == c).map(|p| i + 1 + p);
            let Some(end) = end else { return err(at, "this text has no closing quote") };
            out.push((at, Tok::Str(chars[i + 1..end].iter().map(|(_, c)| c).collect())));
            i = end + 1;
        } else if c.is_ascii_digit() || c == '-' || c == '$' {
            if !c.is_ascii_digit() && !next.is_some_and(|d| d.is_ascii_digit()) {
                return err(at, format!("'{c}' must be followed by a number"));
            }
            let start = if c == '$' { i + 1 } else { i };
            let mut j = start + 1;
            // Digits group with '_' (1_000.00); a comma always separates list items.
            while j < chars.len() && (chars[j].1.is_ascii_alphanumeric() || matches!(chars[j].1, '.' | '-' | '_')) {
                j += 1;
            }
            let text: String = chars[start..j].iter().map(|(_, c)| c).collect();
            out.push((at, number_or_date(at, &text, c == '$')?));
            i = j;
        } else if c.is_alphabetic() || c == '_' {
            let mut j = i + 1;
            while j < chars.len() && (chars[j].1.is_alphanumeric() || chars[j].1 == '_') {
                j += 1;
            }
            out.push((at, Tok::Word(chars[i..j].iter().map(|(_, c)| c).collect())));
            i = j;
        } else {
            return err(at, format!("unexpected '{c}'"));
        }
    }
    Ok(out)
}

fn number_or_date(at: usize, text: &str, dollar: bool) -> Result<Tok, ExprError> {
    if !dollar && text.len() == 10 && text.as_bytes()[4] == b'-' {
        return match text.parse::<Date>() {
            Ok(d) => Ok(Tok::Date(d)),
            Err(_) => err(at, format!("'{text}' is not a date (write YYYY-MM-DD)")),
        };
    }
    let plain = text.replace('_', "");
    if plain.parse::<Decimal>().is_err() {
        return err(at, format!("'{text}' is not a number"));
    }
    Ok(Tok::Num(plain))
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    end: usize,
}

/// Parses and type-checks a condition.
pub fn parse(src: &str) -> Result<Expr, ExprError> {
    let toks = lex(src)?;
    if toks.is_empty() {
        return err(0, "the condition is empty");
    }
    let mut p = Parser { toks, pos: 0, end: src.len() };
    let e = p.or()?;
    if let Some((at, t)) = p.toks.get(p.pos) {
        return err(*at, format!("expected `and`, `or` or the end, found {}", describe(t)));
    }
    Ok(e)
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Word(w) => format!("`{w}`"),
        Tok::Str(s) => format!("\"{s}\""),
        Tok::Num(n) => n.clone(),
        Tok::Date(d) => d.to_string(),
        Tok::Op(_) => "a comparison".into(),
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::LBracket => "'['".into(),
        Tok::RBracket => "']'".into(),
        Tok::Comma => "','".into(),
    }
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |(a, _)| *a)
    }

    fn word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(x)) if x.eq_ignore_ascii_case(w))
    }

    fn next(&mut self) -> Option<(usize, Tok)> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expect(&mut self, want: Tok, what: &str) -> Result<(), ExprError> {
        let at = self.at();
        match self.next() {
            Some((_, t)) if t == want => Ok(()),
            Some((_, t)) => err(at, format!("expected {what}, found {}", describe(&t))),
            None => err(at, format!("expected {what} before the end")),
        }
    }

    fn or(&mut self) -> Result<Expr, ExprError> {
        let mut e = self.and()?;
        while self.word("or") {
            self.pos += 1;
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, ExprError> {
        let mut e = self.unary()?;
        while self.word("and") {
            self.pos += 1;
            e = Expr::And(Box::new(e), Box::new(self.unary()?));
        }
        Ok(e)
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        if self.word("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            let e = self.or()?;
            self.expect(Tok::RParen, "')'")?;
            return Ok(e);
        }
        self.test()
    }

    fn field(&mut self) -> Result<(usize, Field), ExprError> {
        let at = self.at();
        match self.next() {
            Some((_, Tok::Word(w))) => match Field::parse(&w.to_lowercase()) {
                Some(f) => Ok((at, f)),
                None => err(at, format!("`{w}` is not a field; the fields are: {}", field_names())),
            },
            Some((_, t)) => err(at, format!("expected a field name, found {}", describe(&t))),
            None => err(at, "expected a field name before the end"),
        }
    }

    fn test(&mut self) -> Result<Expr, ExprError> {
        if let Some(Tok::Str(flag)) = self.peek().cloned() {
            let at = self.at();
            self.pos += 1;
            return self.has_flag(at, &flag);
        }
        let (at, field) = self.field()?;
        if field.ty() == Type::Flags {
            return err(at, "ask about flags with `\"cease\" in flags`");
        }
        if let Some(Tok::Op(op)) = self.peek().cloned() {
            self.pos += 1;
            return self.compare(at, field, op);
        }
        if self.word("between") {
            self.pos += 1;
            let lo = self.value(field)?;
            if !self.word("and") {
                return err(self.at(), "expected `and` between the two bounds");
            }
            self.pos += 1;
            let hi = self.value(field)?;
            self.ordered(at, field)?;
            return Ok(Expr::Between(field, lo, hi));
        }
        let negated = self.word("not");
        if negated {
            self.pos += 1;
        }
        if self.word("in") {
            self.pos += 1;
            let list = self.list(field)?;
            let e = Expr::In(field, list);
            return Ok(if negated { Expr::Not(Box::new(e)) } else { e });
        }
        if negated {
            return err(self.at(), "expected `in` after `not`");
        }
        if self.word("is") {
            self.pos += 1;
            let not = self.word("not");
            if not {
                self.pos += 1;
            }
            if !self.word("known") {
                return err(self.at(), "expected `known` (as in `score is known`)");
            }
            self.pos += 1;
            let e = Expr::Known(field);
            return Ok(if not { Expr::Not(Box::new(e)) } else { e });
        }
        if field.ty() == Type::Bool {
            return Ok(Expr::Truthy(field));
        }
        err(at, format!("`{}` is {}; compare it with something (as in `{} = ...`)", field.name(), field.ty().name(), field.name()))
    }

    fn has_flag(&mut self, at: usize, flag: &str) -> Result<Expr, ExprError> {
        if !self.word("in") {
            return err(self.at(), "expected `in flags` after a flag's name");
        }
        self.pos += 1;
        let (fat, f) = self.field()?;
        if f != Field::FlagsField {
            return err(fat, "only `flags` holds flags");
        }
        match Flag::parse(&flag.to_lowercase()) {
            Some(flag) => Ok(Expr::HasFlag(flag)),
            None => err(at, format!("\"{flag}\" is not a flag; the flags are: {}", flag_names())),
        }
    }

    fn ordered(&self, at: usize, field: Field) -> Result<(), ExprError> {
        match field.ty() {
            Type::Number | Type::Money | Type::Date => Ok(()),
            t => err(at, format!("`{}` is {}, which has no order", field.name(), t.name())),
        }
    }

    fn compare(&mut self, at: usize, field: Field, op: CmpOp) -> Result<Expr, ExprError> {
        if op.ordering_only() {
            self.ordered(at, field)?;
        }
        if let Some(Tok::Word(w)) = self.peek()
            && let Some(other) = Field::parse(&w.to_lowercase())
        {
            let oat = self.at();
            self.pos += 1;
            if other.ty() != field.ty() {
                return err(
                    oat,
                    format!("cannot compare `{}` ({}) with `{}` ({})", field.name(), field.ty().name(), other.name(), other.ty().name()),
                );
            }
            return Ok(Expr::Compare(field, op, Operand::Field(other)));
        }
        Ok(Expr::Compare(field, op, Operand::Value(self.value(field)?)))
    }

    fn list(&mut self, field: Field) -> Result<Vec<Value>, ExprError> {
        self.expect(Tok::LBracket, "'[' to start the list")?;
        let mut out = vec![self.value(field)?];
        while self.peek() == Some(&Tok::Comma) {
            self.pos += 1;
            out.push(self.value(field)?);
        }
        self.expect(Tok::RBracket, "']' to end the list")?;
        Ok(out)
    }

    /// A literal, read as the field's type.
    fn value(&mut self, field: Field) -> Result<Value, ExprError> {
        let at = self.at();
        let Some((_, t)) = self.next() else { return err(at, "expected a value before the end") };
        let want = field.ty();
        let mismatch = |what: &str| err(at, format!("cannot compare `{}` ({}) with {what}", field.name(), want.name()));
        match (want, t) {
            (Type::Number, Tok::Num(n)) => match n.parse::<i64>() {
                Ok(v) => Ok(Value::Number(v)),
                Err(_) => err(at, format!("`{}` takes whole numbers, not {n}", field.name())),
            },
            (Type::Money, Tok::Num(n)) => Ok(Value::Money(n.parse().expect("checked when lexed"))),
            (Type::Date, Tok::Date(d)) => Ok(Value::Date(d)),
            (Type::Text, Tok::Str(s)) => Ok(Value::Text(s)),
            (Type::Bool, Tok::Word(w)) if w.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            (Type::Bool, Tok::Word(w)) if w.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            (_, Tok::Num(n)) => mismatch(&format!("the number {n}")),
            (_, Tok::Date(d)) => mismatch(&format!("the date {d}")),
            (_, Tok::Str(s)) => mismatch(&format!("the text \"{s}\"")),
            (Type::Text, Tok::Word(w)) => err(at, format!("put text in quotes: \"{w}\"")),
            (_, t) => err(at, format!("expected a value, found {}", describe(&t))),
        }
    }
}

fn field_names() -> String {
    Field::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
}

fn flag_names() -> String {
    Flag::ALL.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn facts() -> Facts {
        let today = Date::constant(2026, 11, 24);
        let mut f = Facts::blank(Uuid::nil(), today, 50_000);
        f.first_delinquency_on = Some(Date::constant(2026, 9, 25)); // 60 days
        f.state = Some("NY".into());
        f
    }

    fn holds(src: &str) -> bool {
        parse(src).unwrap_or_else(|e| panic!("{src}: {e:?}")).eval(&facts())
    }

    fn refusal(src: &str) -> ExprError {
        parse(src).expect_err(src)
    }

    #[test]
    fn comparisons_at_their_edges() {
        assert!(holds("days_past_due >= 60"));
        assert!(!holds("days_past_due > 60"));
        assert!(holds("days_past_due between 31 and 60"));
        assert!(!holds("days_past_due between 61 and 90"));
        assert!(holds("balance = 500.00") && holds("balance = $500") && holds("balance <= 500"));
        assert!(!holds("balance < 500.00") && holds("balance > 499.99"));
        assert!(holds("balance = original_balance"));
    }

    #[test]
    fn logic_lists_flags_and_unknowns() {
        assert!(holds("state in [\"NY\", 'CA'] and not open_dispute"));
        assert!(holds("state in ['ny']"), "text compares without case");
        assert!(holds("state not in [\"TX\"]"));
        assert!(!holds("\"cease\" in flags"));
        assert!(holds("not (\"cease\" in flags) or open_dispute"));
        assert!(!holds("score < 500") && !holds("score >= 500"), "a test on an unknown value is false");
        assert!(holds("score is not known") && !holds("score is known"));
        assert!(holds("days_past_due > 30 and (state = 'TX' or balance >= 1_000.00 or can_email = false)"));
    }

    #[test]
    fn and_binds_tighter_than_or() {
        assert!(holds("state = 'NY' or open_dispute and active_plan"));
        assert!(!holds("(state = 'NY' or open_dispute) and active_plan"));
    }

    #[test]
    fn money_beside_a_date_is_refused_where_it_stands() {
        let e = refusal("days_past_due > 30 and balance > 2026-01-01");
        assert_eq!(e.offset, 33);
        assert!(e.message.contains("cannot compare `balance` (an amount of money) with the date 2026-01-01"), "{}", e.message);
        let e = refusal("balance < days_past_due");
        assert!(e.message.contains("`days_past_due` (a number)"), "{}", e.message);
    }

    #[test]
    fn mistakes_are_named() {
        let e = refusal("days_pst_due > 30");
        assert_eq!(e.offset, 0);
        assert!(e.message.starts_with("`days_pst_due` is not a field"), "{}", e.message);
        assert!(refusal("\"hardshp\" in flags").message.contains("not a flag"));
        assert!(refusal("state > 'NY'").message.contains("no order"));
        assert!(refusal("state = NY").message.contains("put text in quotes"));
        assert!(refusal("days_past_due > 30 and").message.contains("before the end"));
        assert!(refusal("(days_past_due > 30").message.contains("')'"));
        assert!(refusal("balance > 2026-02-30").message.contains("not a date"));
        assert!(refusal("days_past_due > 30.5").message.contains("whole numbers"));
        assert!(refusal("state = 'NY").message.contains("closing quote"));
        assert!(refusal("").message.contains("empty"));
        assert!(refusal("days_past_due").message.contains("compare it"));
    }
}
