// What a customer may do with an order, shared by the order list and the order page.
import { useI18n } from 'vue-i18n'
import { useRouter } from 'vue-router'
import { closeToast, showConfirmDialog, showFailToast, showLoadingToast, showSuccessToast } from 'vant'
import { api } from '@shared/api'
import { describeError } from '@shared/errors'
import { currentLang } from '@shared/i18n'
import type { Order, PaymentStarted } from '@shared/types'
import { lastPayMethod } from './buying'

export const canPay = (o: Order) => o.state === 'pending_payment'
export const canCancel = (o: Order) => o.state === 'pending_payment'
export const canRequestRefund = (o: Order) => o.state === 'paid' || o.state === 'shipped' || o.state === 'delivered'
export const canConfirm = (o: Order) => o.state === 'delivered'

export function useOrderActions() {
  const { t } = useI18n()
  const router = useRouter()

  function fail(e: unknown) {
    closeToast()
    showFailToast({ message: describeError(e, currentLang.value), wordBreak: 'break-word', duration: 3000 })
  }

  /** Starts a payment and goes to the pay page. */
  async function pay(o: Order) {
    showLoadingToast({ forbidClick: true, duration: 0 })
    try {
      const p = await api.post<PaymentStarted>(`/me/orders/${o.id}/pay`, { method: lastPayMethod() })
      closeToast()
      router.push(p.pay_url)
    } catch (e) {
      fail(e)
    }
  }

  async function cancel(o: Order, reason: string): Promise<Order | null> {
    try {
      const next = await api.post<Order>(`/me/orders/${o.id}/cancel`, { reason })
      showSuccessToast(t('viewer.orders.cancelled'))
      return next
    } catch (e) {
      fail(e)
      return null
    }
  }

  async function requestRefund(o: Order, reason: string): Promise<Order | null> {
    try {
      const next = await api.post<Order>(`/me/orders/${o.id}/refund-request`, { reason })
      showSuccessToast(t('viewer.orders.refundRequested'))
      return next
    } catch (e) {
      fail(e)
      return null
    }
  }

  async function confirmReceipt(o: Order): Promise<Order | null> {
    try {
      await showConfirmDialog({ title: t('viewer.orders.confirm'), message: t('viewer.orders.confirmMsg'), confirmButtonColor: '#ff3b5c' })
    } catch {
      return null
    }
    try {
      const next = await api.post<Order>(`/me/orders/${o.id}/confirm`)
      showSuccessToast(t('viewer.orders.confirmed'))
      return next
    } catch (e) {
      fail(e)
      return null
    }
  }

  return { pay, cancel, requestRefund, confirmReceipt }
}
