use crate::LiveError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a session stands. scheduled → live → ended; scheduled → cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    Scheduled,
    Live,
    Ended,
    Cancelled,
}

impl SessionState {
    pub const ALL: [SessionState; 4] = [Self::Scheduled, Self::Live, Self::Ended, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Live => "live",
            Self::Ended => "ended",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The state after moving to `to`, or why that move is refused.
    pub fn transition(self, to: SessionState) -> Result<SessionState, LiveError> {
        use SessionState::*;
        match (self, to) {
            (Scheduled, Live) | (Scheduled, Cancelled) | (Live, Ended) => Ok(to),
            _ => Err(LiveError::IllegalTransition { from: self, to }),
        }
    }

    /// Whether the session's details and bag may still be edited.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Scheduled | Self::Live)
    }
}

impl std::fmt::Display for SessionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The session's theme (plan §4: new launch, limited-time discount, festival sale, interactive game).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    NewLaunch,
    LimitedDiscount,
    FestivalSale,
    InteractiveGame,
    Custom,
}

impl Theme {
    pub const ALL: [Theme; 5] = [
        Self::NewLaunch,
        Self::LimitedDiscount,
        Self::FestivalSale,
        Self::InteractiveGame,
        Self::Custom,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NewLaunch => "new_launch",
            Self::LimitedDiscount => "limited_discount",
            Self::FestivalSale => "festival_sale",
            Self::InteractiveGame => "interactive_game",
            Self::Custom => "custom",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// How the session is presented (plan §4.1.2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Products shown and explained one after another (产品展示).
    #[default]
    Showcase,
    /// Built around viewers' participation: games, Q&A, polls (互动).
    Interactive,
    /// A theme or story carries the products (话题).
    Topic,
    /// Teaching how to use the products (教程).
    Tutorial,
}

impl Format {
    pub const ALL: [Format; 4] = [
        Self::Showcase,
        Self::Interactive,
        Self::Topic,
        Self::Tutorial,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Showcase => "showcase",
            Self::Interactive => "interactive",
            Self::Topic => "topic",
            Self::Tutorial => "tutorial",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::SessionState::*;
    use super::*;

    #[test]
    fn only_the_four_forward_moves_are_allowed() {
        let allowed = [(Scheduled, Live), (Scheduled, Cancelled), (Live, Ended)];
        for from in SessionState::ALL {
            for to in SessionState::ALL {
                let ok = from.transition(to).is_ok();
                assert_eq!(ok, allowed.contains(&(from, to)), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn refusal_names_both_states() {
        let e = Ended.transition(Live).unwrap_err();
        assert_eq!(e.to_string(), "a session cannot go from ended to live");
    }
}
