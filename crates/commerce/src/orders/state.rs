//! The order state machine, without I/O. Every move the service makes asks [`OrderState::next`]
//! first, so an illegal move is refused with its reason before anything is written.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    PendingPayment,
    Paid,
    Shipped,
    Delivered,
    Completed,
    Cancelled,
    RefundRequested,
    Refunded,
}

/// What someone asks an order to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Pay,
    Ship,
    Deliver,
    Complete,
    Cancel,
    RequestRefund,
    /// A refund that leaves lines unrefunded: the order goes back to where it was.
    RefundPart,
    /// A refund of everything that is left.
    RefundAll,
    RejectRefund,
}

impl OrderState {
    pub const ALL: [OrderState; 8] = [
        Self::PendingPayment,
        Self::Paid,
        Self::Shipped,
        Self::Delivered,
        Self::Completed,
        Self::Cancelled,
        Self::RefundRequested,
        Self::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingPayment => "pending_payment",
            Self::Paid => "paid",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::RefundRequested => "refund_requested",
            Self::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Money has been taken and not all given back.
    pub fn is_paid(self) -> bool {
        matches!(
            self,
            Self::Paid | Self::Shipped | Self::Delivered | Self::RefundRequested
        )
    }

    /// The state `action` leads to, or why it cannot happen. `before_refund` is where a
    /// refund request came from (it goes back there when rejected or partly refunded).
    pub fn next(self, action: Action, before_refund: Option<Self>) -> Result<Self, String> {
        use Action as A;
        use OrderState as S;
        let back = before_refund.unwrap_or(S::Paid);
        match (self, action) {
            (S::PendingPayment, A::Pay) => Ok(S::Paid),
            (S::PendingPayment, A::Cancel) => Ok(S::Cancelled),
            (S::Paid, A::Ship) => Ok(S::Shipped),
            (S::Shipped, A::Deliver) => Ok(S::Delivered),
            (S::Delivered, A::Complete) => Ok(S::Completed),
            (S::Paid | S::Shipped | S::Delivered, A::RequestRefund) => Ok(S::RefundRequested),
            (S::Paid | S::Shipped | S::Delivered, A::RefundPart) => Ok(self),
            (S::RefundRequested, A::RefundPart | A::RejectRefund) => Ok(back),
            (S::Paid | S::Shipped | S::Delivered | S::RefundRequested, A::RefundAll) => {
                Ok(S::Refunded)
            }
            (S::Paid | S::Shipped | S::Delivered | S::RefundRequested, A::Pay) => {
                Err("the order is already paid".into())
            }
            (S::Paid | S::Shipped | S::Delivered | S::RefundRequested, A::Cancel) => {
                Err("a paid order cannot be cancelled: ask for a refund instead".into())
            }
            (S::Cancelled, _) => Err("the order is cancelled".into()),
            (S::Refunded, _) => Err("the order is refunded".into()),
            (S::Completed, A::RequestRefund | A::RefundPart | A::RefundAll) => {
                Err("the order is completed and its after-sales period is over".into())
            }
            (S::Completed, _) => Err("the order is completed".into()),
            (S::PendingPayment, _) => Err("the order is not paid yet".into()),
            (S::RefundRequested, _) => {
                Err("a refund request is open: approve or reject it first".into())
            }
            (S::Paid, A::Deliver | A::Complete) => Err("the order has not shipped yet".into()),
            (S::Shipped, A::Ship) => Err("the order has already shipped".into()),
            (S::Shipped, A::Complete) => Err("the order has not been delivered yet".into()),
            (S::Delivered, A::Ship | A::Deliver) => {
                Err("the order has already been delivered".into())
            }
            (_, A::RejectRefund) => Err("there is no open refund request".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Action as A, OrderState as S};

    #[test]
    fn the_happy_path_runs_from_payment_to_completion() {
        let mut s = S::PendingPayment;
        for a in [A::Pay, A::Ship, A::Deliver, A::Complete] {
            s = s.next(a, None).unwrap();
        }
        assert_eq!(s, S::Completed);
    }

    #[test]
    fn only_unpaid_orders_cancel_and_paid_ones_refund_instead() {
        assert_eq!(S::PendingPayment.next(A::Cancel, None), Ok(S::Cancelled));
        let e = S::Paid.next(A::Cancel, None).unwrap_err();
        assert!(e.contains("refund"), "{e}");
        assert_eq!(S::Shipped.next(A::RefundAll, None), Ok(S::Refunded));
    }

    #[test]
    fn a_refund_request_goes_back_where_it_came_from_when_rejected_or_partly_refunded() {
        let s = S::Shipped.next(A::RequestRefund, None).unwrap();
        assert_eq!(s, S::RefundRequested);
        assert_eq!(s.next(A::RejectRefund, Some(S::Shipped)), Ok(S::Shipped));
        assert_eq!(s.next(A::RefundPart, Some(S::Shipped)), Ok(S::Shipped));
        assert_eq!(s.next(A::RefundAll, Some(S::Shipped)), Ok(S::Refunded));
        assert!(s.next(A::Ship, Some(S::Paid)).is_err());
    }

    #[test]
    fn final_states_refuse_everything_with_a_reason() {
        for s in [S::Cancelled, S::Refunded, S::Completed] {
            for a in [
                A::Pay,
                A::Ship,
                A::Deliver,
                A::Cancel,
                A::RefundAll,
                A::RequestRefund,
            ] {
                let e = s.next(a, None).unwrap_err();
                assert!(!e.is_empty());
            }
        }
        assert_eq!(
            S::Paid.next(A::Pay, None).unwrap_err(),
            "the order is already paid"
        );
    }

    #[test]
    fn states_round_trip_through_their_names() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
        }
        assert_eq!(S::parse("lost"), None);
    }
}
