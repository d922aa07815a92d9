// Document title "<page> · <brand>".
export function setDocumentTitle(page: string | null | undefined, brandName: string | null | undefined) {
  const b = brandName || 'SellStream'
  document.title = page ? page + ' · ' + b : b
}
